// The gate's baseline: the listing of the last accepted backup of these sources, kept on the
// host (the drive that holds that snapshot may be offsite): path, size, mtime, SHA-256 and the
// entropy of each file's first bytes, in archive order, one line per file. Written while the
// snapshot is archived; put in place only once the snapshot is complete and not suspect.
import { createReadStream } from 'node:fs';
import { mkdir, rename, unlink } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import type { ListingEntry } from '../core/change-analysis.js';
import { escapeField, unescapeField, type ManifestEntry } from '../layout/manifest.js';
import { sha256Hex } from '../io/sha256.js';
import { HashedWriter } from '../io/hashed-writer.js';

const HEADER = '# airgap baseline v1';

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

const SHA256_HEX = /^[0-9a-f]{64}$/;

export async function* readBaseline(path: string): AsyncGenerator<ListingEntry> {
  const rl = createInterface({ input: createReadStream(path), crlfDelay: Infinity });
  let n = 0;
  for await (const line of rl) {
    n++;
    if (n === 1) {
      if (line !== HEADER) throw new BaselineDamagedError(path, n, 'not an airgap baseline header');
      continue;
    }
    if (!line) continue;
    const fields = line.split('\t');
    const [size, mtime, sha256, entropy] = fields.slice(0, 4).map((f, i) => (i === 2 ? f : Number(f))) as [number, number, string, number];
    if (fields.length !== 5 || !Number.isSafeInteger(size) || size < 0 || !Number.isFinite(mtime) || !SHA256_HEX.test(sha256) || !Number.isFinite(entropy)) {
      throw new BaselineDamagedError(path, n, 'not a size, time, SHA-256, entropy and path');
    }
    yield { type: 'file', path: unescapeField(fields[4]!), size, mtime, sha256, entropy };
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
   * promise returned), so 100,000 files do not mean 100,000 pending promises.
   */
  add(e: ManifestEntry, entropy: number): Promise<void> | undefined {
    const line = `${e.size}\t${e.mtime}\t${e.sha256}\t${entropy.toFixed(2)}\t${escapeField(e.path)}\n`;
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
