// The gate's baseline: the listing of the last accepted backup of these sources, kept on the
// host (the drive that holds that snapshot may be offsite): path, size, mtime, SHA-256 and the
// entropy of each file's first bytes, in archive order, one line per file. Written while the
// snapshot is archived; put in place only once the snapshot is complete and not suspect.
// v2 adds each file's change stamp as the host saw it (core/change-stamp.ts), so that format 2
// can tell an unchanged file without reading it (docs/FORMAT.md, "Which files are read").
// v2 is always written; a v1 file (an older airgap's) is still read, its entries without stamps,
// and is replaced by the next accepted backup like any baseline.
import { createReadStream } from 'node:fs';
import { mkdir, rename, unlink } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import type { ListingEntry } from '../core/change-analysis.js';
import { CHANGE_STAMP } from '../core/change-stamp.js';
import { isSha256Hex } from '../layout/field-checks.js';
import { escapeField, unescapeField, type ManifestEntry } from '../layout/manifest.js';
import { sha256Hex } from '../io/sha256.js';
import { HashedWriter } from '../io/hashed-writer.js';

const HEADER = '# airgap baseline v2';
const HEADER_V1 = '# airgap baseline v1';

/** One baseline per set of sources: changing the sources starts a new one. */
export function baselinePath(stateDir: string, sources: string[]): string {
  return join(stateDir, 'baselines', `${sha256Hex([...sources].sort().join('\n')).slice(0, 16)}.tsv`);
}

/** A baseline that is not one (truncated, edited, another file in its place): set aside by the gate. */
export class BaselineDamagedError extends Error {
  constructor(readonly path: string, readonly line: number, why: string) {
    super(`the gate baseline ${path} is damaged (line ${line}: ${why})`);
  }
}

const NO_STAMP = '-';

/** v2: size, mtime, SHA-256, entropy, change stamp (or `-`), path. v1: the same without the stamp. */
export async function* readBaseline(path: string): AsyncGenerator<ListingEntry> {
  const rl = createInterface({ input: createReadStream(path), crlfDelay: Infinity });
  let n = 0;
  let stamped = true;
  for await (const line of rl) {
    n++;
    if (n === 1) {
      if (line !== HEADER && line !== HEADER_V1) throw new BaselineDamagedError(path, n, 'not an airgap baseline header');
      stamped = line === HEADER;
      continue;
    }
    if (!line) continue;
    const fields = line.split('\t');
    // Field by field, not slice().map(): two arrays a line less, at 40,000 lines a backup.
    const size = Number(fields[0]), mtime = Number(fields[1]), sha256 = fields[2]!, entropy = Number(fields[3]);
    // `-`: a file changed too shortly before its backup for its stamp to vouch for it (RACY_SECONDS).
    const stamp = stamped && fields[4] !== NO_STAMP ? fields[4] : undefined;
    if (fields.length !== (stamped ? 6 : 5) || !Number.isSafeInteger(size) || size < 0 || !Number.isFinite(mtime) || !isSha256Hex(sha256) || !Number.isFinite(entropy)
      || (stamp !== undefined && !CHANGE_STAMP.test(stamp))) {
      throw new BaselineDamagedError(path, n, stamped ? 'not a size, time, SHA-256, entropy, change stamp and path' : 'not a size, time, SHA-256, entropy and path');
    }
    let file: string;
    try {
      file = unescapeField(fields[fields.length - 1]!);
    } catch (e) {
      // A bad escape is damage like any other, not an error that would stop the backup.
      throw new BaselineDamagedError(path, n, `bad path: ${(e as Error).message}`);
    }
    yield stamp === undefined ? { type: 'file', path: file, size, mtime, sha256, entropy } : { type: 'file', path: file, size, mtime, sha256, entropy, stamp };
  }
  if (n === 0) throw new BaselineDamagedError(path, 1, 'empty');
}

export class BaselineWriter {
  private constructor(private readonly w: HashedWriter, private readonly tmp: string, private readonly final: string) {}

  static async create(path: string): Promise<BaselineWriter> {
    await mkdir(join(path, '..'), { recursive: true });
    const tmp = `${path}.tmp-${process.pid}`;
    await unlink(tmp).catch(() => {});
    const w = await HashedWriter.create(tmp, 256 << 10);
    await w.write(HEADER + '\n');
    return new BaselineWriter(w, tmp, path);
  }

  private chain: Promise<void> = Promise.resolve();
  private queued = 0;

  /**
   * Appends one file (calls may overlap: they are written in call order). Usually the line
   * just goes into the writer's buffer; only when that is full is a write queued (and its
   * promise returned), so 100,000 files do not mean 100,000 pending promises. `stamp` is the
   * file's change stamp from the scan, taken before the file was read: a change after it gives
   * a different stamp next time, so a stamp older than the hash beside it can only cause a
   * re-read, never hide a change. Undefined: the stamp cannot vouch (core/change-stamp.ts
   * `stampVouches`), written as `-`.
   */
  add(e: ManifestEntry, entropy: number, stamp: string | undefined): Promise<void> | undefined {
    const line = `${e.size}\t${e.mtime}\t${e.sha256}\t${entropy.toFixed(2)}\t${stamp ?? NO_STAMP}\t${escapeField(e.path)}\n`;
    if (this.queued === 0 && this.w.putText(line)) return undefined;
    this.queued++;
    this.chain = this.chain.then(() => this.w.write(line)).finally(() => void this.queued--);
    return this.chain;
  }

  async commit(): Promise<void> {
    await this.chain;
    await this.w.finish();
    await rename(this.tmp, this.final);
  }

  async discard(): Promise<void> {
    await this.w.abandon();
    await unlink(this.tmp).catch(() => {});
  }
}
