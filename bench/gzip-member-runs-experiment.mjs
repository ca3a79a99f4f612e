// Issue 16 experiment, not part of airgap (docs/design-compressed-tarballs.md): what if, inside
// 1 MiB blocks, each tar member were stored or deflated on its own (runs of members of one kind
// as raw deflate segments ended by Z_SYNC_FLUSH, as pigz joins its pieces)? Set S interleaves
// small text and random files, so the block writer's per-block sample finds no block to store;
// this measures the size and CPU of per-member choice (a 4 KiB sample of each member's content)
// on the main thread, synchronously, to compare with bench/gzip-blocks.ts's figures.
//
// usage: npm run build && node bench/gzip-member-runs-experiment.mjs <snapshot>/<id>.tar
import { readFileSync } from 'node:fs';
import zlib from 'node:zlib';
import { TarReader } from '../dist/layout/tar-reader.js';
const tar = readFileSync(process.argv[2]);
const starts = []; const r = new TarReader({ entry: (e) => starts.push(e.offset), data() {}, entryEnd() {} }); r.write(tar); starts.push(r.endAt, tar.length);
const target = 1 << 20;
const u0 = process.cpuUsage();
let total = 0, runs = 0, storedBytes = 0;
let runStart = 0, runStored = false, blockStart = 0; const segs = [];
const flushRun = (end) => { if (end > runStart) { segs.push(zlib.deflateRawSync(tar.subarray(runStart, end), { level: runStored ? 0 : 1, finishFlush: zlib.constants.Z_SYNC_FLUSH })); runs++; if (runStored) storedBytes += end - runStart; } runStart = end; };
for (let i = 0; i < starts.length - 1; i++) {
  const a = starts[i], b = starts[i + 1];
  // sample: the member's content (after its header(s)) up to 4 KiB
  const s = tar.subarray(Math.min(b, a + 1024), Math.min(b, a + 1024 + 4096));
  const stored = s.length > 256 && zlib.deflateRawSync(s, { level: 1 }).length > 0.9 * s.length;
  if (stored !== runStored) { flushRun(a); runStored = stored; }
  if (b - blockStart >= target || i === starts.length - 2) { flushRun(b); total += 10 + 8 + 2 + segs.reduce((n, x) => n + x.length, 0); zlib.crc32(tar.subarray(blockStart, b)); segs.length = 0; blockStart = b; }
}
const d = process.cpuUsage(u0);
console.log(`per-member runs: ${(total / 1e6).toFixed(1)} MB of ${(tar.length / 1e6).toFixed(1)} (${(total / tar.length).toFixed(3)}), ${runs} runs, ${(storedBytes / 1e6).toFixed(1)} MB stored, CPU ${((d.user + d.system) / 1e6).toFixed(2)} s`);
