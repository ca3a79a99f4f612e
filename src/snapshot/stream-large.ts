// A large file into the tarball: its header (with the size at open), then its body straight into
// the writer's buffer, hashed (and, for format 2, hashed by blocks) as it goes. A file that
// shrinks, grows or fails while read keeps the archive well-formed and is reported.
import { createHash, type Hash } from 'node:crypto';
import { ENTROPY_SAMPLE, entropyOf } from '../core/change-analysis.js';
import type { TarOut } from './tar-out.js';
import { encodeHeader, padding } from '../layout/tar-header.js';
import type { BlockHasher } from './block-hasher.js';
import { changedWhileRead, openSource, type Problem } from './read-source.js';
import type { ScanEntry } from './scan.js';
import type { Stored } from './archive-file.js';

/** A large file: header first (with the size at open), then the body straight into the writer's buffer. */
export async function streamLarge(e: ScanEntry, tar: TarOut, report: (p: Problem) => void, tick: (where: string) => void, blocks?: BlockHasher): Promise<Stored | undefined> {
  const opened = await openSource(e.abs, e);
  if ('skip' in opened) return void report(opened.skip);
  const { fh, before, header } = opened;
  let reported = false;
  const once = (p: Problem) => {
    if (!reported) report(p);
    reported = true;
  };
  try {
    const size = before.size;
    const hash = createHash('sha256');
    await tar.write(encodeHeader({ path: e.path, type: 'File', ...header, size }));
    let off = 0;
    let entropy: number | undefined;
    while (off < size) {
      if (tar.room < 65536) await tar.flush();
      const want = Math.min(tar.room, size - off);
      let got: number;
      try {
        got = (await fh.read(tar.buffer, tar.pos, want, off)).bytesRead;
      } catch (err) {
        // The header is already out: keep the archive well-formed, zero-fill, and say so.
        once({ kind: 'unreadable', message: `read error at byte ${off} (${(err as NodeJS.ErrnoException).code}); the rest of the file is stored as zeros` });
        got = 0;
      }
      if (got === 0) {
        once({ kind: 'changed', message: `shrank while being read (${off} of ${size} bytes); padded with zeros` });
        await fillZeros(tar, hash, size - off, blocks);
        break;
      }
      hash.update(tar.buffer.subarray(tar.pos, tar.pos + got));
      blocks?.update(tar.buffer.subarray(tar.pos, tar.pos + got));
      if (entropy === undefined) entropy = entropyOf(tar.buffer.subarray(tar.pos, tar.pos + Math.min(got, ENTROPY_SAMPLE)));
      tar.commit(got);
      off += got;
      tick(e.abs);
    }
    await tar.writeZeros(padding(size));
    const extra = (await fh.read(Buffer.alloc(1), 0, 1, size)).bytesRead;
    if (extra > 0) once({ kind: 'changed', message: `grew while being read; stored its first ${size} bytes` });
    const changed = await changedWhileRead(fh, before);
    if (changed) once(changed);
    return { size, sha256: hash.digest('hex'), ...header, entropy: entropy ?? 0 };
  } finally {
    await fh.close();
  }
}

async function fillZeros(tar: TarOut, hash: Hash, n: number, blocks?: BlockHasher) {
  const zeros = Buffer.alloc(Math.min(n, 1 << 16));
  for (let k = Math.min(n, zeros.length); n > 0; n -= k, k = Math.min(n, zeros.length)) {
    hash.update(zeros.subarray(0, k));
    blocks?.update(zeros.subarray(0, k));
    await tar.write(zeros.subarray(0, k));
  }
}
