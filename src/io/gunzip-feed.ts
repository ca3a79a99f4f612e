// A format 3 tarball read from start to end (restore of a snapshot or a chain, `verify --deep`'s
// walk; docs/FORMAT.md "Format 3"): its stored bytes (the age plaintext when encrypted) are a run
// of gzip members, and node's gunzip inflates one after another, so the whole stream comes out
// as the tar. The caller owns the bytes it pushes (readChunks and the age reader reuse their
// buffers), so push() resolves only once zlib has consumed the chunk; what comes out goes to
// `emit`, one piece at a time (the stream is paused while an async emit runs: memory stays at a
// few zlib chunks, whatever the compression ratio).
// A damaged stream (a flipped byte fails a block's CRC, a cut leaves a member unfinished) is a
// GunzipError saying how far the tar got; what came out before it was emitted. Nothing decides
// here whether that is damage or "written that way": the stored bytes' SHA-256 does, as for a
// plain tarball.
import { createGunzip, type Gunzip } from 'node:zlib';

export class GunzipError extends Error {
  readonly code = 'EGUNZIP';
  constructor(message: string, /** Tar bytes given out before the failure. */ readonly tarOffset: number) {
    super(message);
  }
}

type Emit = (tar: Buffer) => void | Promise<void>;

export class GunzipFeed {
  private readonly z: Gunzip;
  /** Tar bytes given out so far. */
  out = 0;
  private failure: GunzipError | undefined;
  private readonly failed: Promise<never>;
  /** The emit running now (the stream is paused until it is done). */
  private emitting: Promise<void> = Promise.resolve();
  private emitError: unknown;

  /** `maxOut`: the tar's size when known (snapshot.json's tarball.gzip.tarSize): more is damage, never inflated on. */
  constructor(private readonly emit: Emit, private readonly maxOut = Number.POSITIVE_INFINITY) {
    // zlib's default 16 KiB pieces, though each is a trip from the threadpool: a larger piece
    // (1 MiB was tried: restore 2.0–2.5 → 1.6–1.7 s on 256 MiB) is lost whole when a later block
    // in it fails its CRC, so --salvage kept up to a piece less of what came before the damage
    // (test/e2e/format3-read.test.ts caught it). Inflating block by block from the index, as
    // verify --deep does, would give both.
    this.z = createGunzip();
    this.failed = new Promise<never>((_, reject) => {
      this.z.once('error', (e) => {
        this.failure ??= new GunzipError(`the compressed tarball does not inflate past byte ${this.out} of its tar: ${e.message}`, this.out);
        reject(this.failure);
      });
    });
    this.failed.catch(() => {}); // surfaced by push() and end()
    this.z.on('data', (piece: Buffer) => {
      if (this.failure) return;
      if (this.out + piece.length > this.maxOut) {
        this.z.destroy(new Error(`it inflates past the tar's ${this.maxOut} bytes`));
        return;
      }
      this.out += piece.length;
      this.z.pause();
      this.emitting = (async () => {
        try {
          await this.emit(piece);
        } catch (e) {
          this.emitError ??= e;
          this.z.destroy(e as Error);
        } finally {
          if (!this.z.destroyed) this.z.resume();
        }
      })();
    });
  }

  /** A chunk of the stored stream; resolves once zlib is done with it (the caller may reuse its buffer then). */
  async push(chunk: Buffer): Promise<void> {
    this.check();
    const written = new Promise<void>((resolve) => this.z.write(chunk, () => resolve()));
    await this.settled(written);
  }

  /** The end of the stream: the rest inflated and emitted, or a GunzipError (a member cut short). */
  async end(): Promise<void> {
    this.check();
    const ended = new Promise<void>((resolve) => this.z.once('end', resolve));
    this.z.end();
    await this.settled(ended);
    await this.emitting;
    this.check();
  }

  /** Stops inflating (the reader broke off): nothing more comes out. */
  close(): void {
    if (!this.z.destroyed) this.z.destroy();
  }

  /** Waits for `step`, or the stream's failure; an emit's own error (a cancel, a bug) wins over the failure it caused. */
  private async settled(step: Promise<void>): Promise<void> {
    try {
      await Promise.race([step, this.failed]);
    } finally {
      this.check();
    }
  }

  private check(): void {
    if (this.emitError !== undefined) throw this.emitError;
    if (this.failure) throw this.failure;
  }
}
