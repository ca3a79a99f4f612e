// Issue 16: the block-gzip writer (src/io/gzip-blocks.ts; a design for a future format, not yet
// used by airgap) over a real format 2 full of set S, for a few block targets: compressed size
// against the tar's, the writer's CPU (process.cpuUsage: the main thread and libuv's threadpool,
// where zlib runs), the index's size, and what one seek costs (4 KiB read at a random offset
// through the index: the block that holds it is inflated whole). First, what storing saves: 64 MiB
// of random bytes through the writer against gzip level 1. docs/design-compressed-tarballs.md.
//
//   npm run build && tsc -p bench && node .bench-build/bench/gzip-blocks.js [--scale 1] [--keep]
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { env } from 'node:process';
import { promisify } from 'node:util';
import { gunzipSync, gzip, gzipSync } from 'node:zlib';
import { readRange } from '../src/io/gzip-block-reader.js';
import { GzipBlockWriter } from '../src/io/gzip-blocks.js';
import { formatGzipIndex } from '../src/layout/gzip-index.js';
import { gzipTar, memberStarts } from '../test/helpers/gzip-tar.js';
import { Mulberry32 } from '../test/helpers/prng.js';
import { AIRGAP_BIN, log } from './common.js';
import { WEEKLY_SETS } from './weekly-data.js';

const SEED = 20261201; // the weekly bench's seed (docs/performance.md)
const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(name);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
};
const scale = Number(arg('--scale', '1'));
const keep = process.argv.includes('--keep');
const KiB = 1024;
const CONFIGS: { target: number; level: number }[] = [
  { target: 256 * KiB, level: 1 },
  { target: 1024 * KiB, level: 1 },
  { target: 4096 * KiB, level: 1 },
  { target: 1024 * KiB, level: 6 },
];

const work = mkdtempSync(join(tmpdir(), 'airgap-gzip-blocks-'));
const source = join(work, 'data', 'weekly-S');
const drive = join(work, 'drives', 'A');
const airgapEnv: NodeJS.ProcessEnv = {
  ...env, AIRGAP_STATE_DIR: join(work, 'state'), AIRGAP_DRIVES_ROOT: join(work, 'drives'), XDG_CONFIG_HOME: join(work, 'xdg'), NO_COLOR: '1',
};
for (const k of ['AIRGAP_CONFIG', 'AIRGAP_NOW', 'AIRGAP_MOUNT_ROOTS', 'AIRGAP_STALL_TIMEOUT_MS']) delete airgapEnv[k];

function airgap(args: string[]): void {
  const r = spawnSync(process.execPath, [AIRGAP_BIN, ...args], { env: airgapEnv, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`airgap ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
}

/** The one `<id>.tar` on the drive (a full of S is one part). */
function findTar(dir: string): string {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory() && !e.isSymbolicLink()) {
      const found = findTar(p);
      if (found) return found;
    } else if (e.isFile() && e.name.endsWith('.tar')) return p;
  }
  return '';
}

const cpuSeconds = (u: NodeJS.CpuUsage) => (u.user + u.system) / 1e6;

/** What storing random blocks saves: 64 MiB of random bytes through the writer, then as level-1 gzip. */
async function randomBlocks(): Promise<void> {
  const data = randomBytes(64 << 20);
  let c0 = process.cpuUsage();
  let n = 0;
  const writer = new GzipBlockWriter(async (b) => void (n += b.length));
  for (let i = 0; i < data.length; i += 1 << 20) await writer.write(data.subarray(i, i + (1 << 20)));
  const index = await writer.finish();
  const stored = cpuSeconds(process.cpuUsage(c0));
  c0 = process.cpuUsage();
  const gzipAsync = promisify(gzip);
  let m = 0;
  for (let i = 0; i < data.length; i += 1 << 20) m += (await gzipAsync(data.subarray(i, i + (1 << 20)), { level: 1 })).length;
  const deflated = cpuSeconds(process.cpuUsage(c0));
  log(`64 MiB random, 1 MiB blocks: the writer ${(n / 2 ** 20).toFixed(2)} MiB, ${index.blocks.filter((b) => b.stored).length}/${index.blocks.length} stored, CPU ${stored.toFixed(2)} s; gzip -1 of each block ${(m / 2 ** 20).toFixed(2)} MiB, CPU ${deflated.toFixed(2)} s`);
}
const mb = (n: number) => (n / 1e6).toFixed(1);

try {
  await randomBlocks();
  mkdirSync(source, { recursive: true });
  mkdirSync(drive, { recursive: true });
  const set = WEEKLY_SETS.find((s) => s.key === 'S')!;
  const stats = set.generate(source, SEED, scale);
  log(`set S (seed ${SEED}, scale ${scale}): ${stats.files} files, ${mb(stats.bytes)} MB, in ${work}`);
  airgap(['label', drive, '--name', 'A', '--yes']);
  airgap(['backup', '--drive', 'A', '--source', source, '--no-prune', '--format', '2']);
  const tarPath = findTar(drive);
  const tar = readFileSync(tarPath);
  const starts = memberStarts(tar);
  log(`${tarPath}: ${mb(tar.length)} MB, ${starts.length - 1} members`);
  for (const { target, level } of CONFIGS) {
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const { gz, index } = await gzipTar(tar, { target, level }, 1 << 20, starts);
    const cpu = cpuSeconds(process.cpuUsage(cpu0));
    const wall = (performance.now() - t0) / 1000;
    if (!gunzipSync(gz).equals(tar)) throw new Error('gunzip of the blocks is not the tar');
    const text = formatGzipIndex(index);
    const stored = index.blocks.filter((b) => b.stored).length;
    // What one seek costs: 200 reads of 4 KiB at random offsets, each inflating its block.
    const rng = new Mulberry32(target);
    const readAt = async (p: number, n: number) => gz.subarray(p, p + n);
    const s0 = process.cpuUsage();
    for (let k = 0; k < 200; k++) {
      const a = rng.int(0, tar.length - 4096);
      await readRange(index, readAt, a, a + 4096);
    }
    const seekMs = (cpuSeconds(process.cpuUsage(s0)) / 200) * 1000;
    const perLine = text.length / (index.blocks.length + 1);
    log(
      `target ${target / KiB} KiB, level ${level}: ${mb(gz.length)} MB (${(gz.length / tar.length).toFixed(3)} of the tar), ` +
        `${index.blocks.length} blocks (${stored} stored), CPU ${cpu.toFixed(2)} s (wall ${wall.toFixed(2)} s), ` +
        `index ${text.length} B (${gzipSync(text).length} B gzipped; ~${((100e9 / target) * perLine / 1e6).toFixed(1)} MB at 100 GB), ` +
        `one 4 KiB seek ${seekMs.toFixed(2)} ms CPU`,
    );
  }
} finally {
  if (keep) log(`kept ${work}`);
  else rmSync(work, { recursive: true, force: true });
}
