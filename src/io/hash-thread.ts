// SHA-256 of a stream on another thread. Writing or reading a tarball needs two hash passes
// over its bytes (the tarball's own SHA-256, and each member's), and one thread does about
// 1.4 GB/s of SHA-256 here: handing the tarball's hash to a second core lets both run at once.
// The bytes are never copied: they sit in SharedArrayBuffer-backed buffers, and the caller
// reuses a buffer only once the thread has acknowledged hashing it.
import { createHash, type Hash } from 'node:crypto';
import { PayloadOpener, PayloadSealer } from '../crypto/age-stream.js';
import { Worker } from 'node:worker_threads';
import { workerUrl } from './worker-url.js';

/** A running SHA-256: update() resolves when the bytes given may be overwritten. */
export interface StreamHash {
  update(bytes: Buffer): void | Promise<void>;
  digest(): string | Promise<string>;
}

/**
 * Keeps a promise's rejection from counting as unhandled while nothing awaits it yet; the
 * caller awaits it later and sees the error there. Non-promises pass through.
 */
export function quiet<T>(p: T): T {
  if (p instanceof Promise) p.catch(() => {});
  return p;
}

/**
 * An age payload sealed on the thread (an encrypted snapshot's tarball, issue 18): the plaintext
 * and the place for the sealed bytes are both buffers from alloc(); seal() resolves with how many
 * sealed bytes it put at `out` (what a chunk held back and the input's own chunks), end() with the
 * final chunk's. The thread keeps the sealer's state between calls.
 */
export interface ThreadSealer {
  seal(plain: Buffer, out: Buffer): Promise<number>;
  end(out: Buffer): Promise<number>;
}

/**
 * An age payload opened on the thread (an encrypted tarball read by restore or verify --deep):
 * the sealed bytes and the place for the plaintext are both buffers from alloc(); open() resolves
 * with how much plaintext it put at `out` (every chunk authenticated first) and, when a chunk
 * failed, the error's code and message after what opened before it; end() opens the final
 * chunk. `out` must hold the input's length plus one sealed chunk (SEALED): the opener holds back
 * at most that much. The thread keeps the opener's state between calls.
 */
export interface ThreadOpener {
  open(sealed: Buffer, out: Buffer): Promise<Opened>;
  end(out: Buffer): Promise<Opened>;
}
export interface Opened {
  opened: number;
  error?: { code: string; message: string };
}

/** Where hashes run: here (node:crypto, synchronously) or on a thread. */
export interface Hasher {
  create(): StreamHash;
  /** A buffer whose contents this hasher can read without a copy. */
  alloc(size: number): Buffer;
  /** A thread hasher also seals age payloads there, beside its hashing (undefined: seal here). */
  sealer?(key: Buffer): ThreadSealer;
  /** ... and opens them there (`base`: where the payload starts in the file, `file`: how errors name it). */
  opener?(key: Buffer, base: number, file: string): ThreadOpener;
}

/** SHA-256 on the calling thread. */
export const localHasher: Hasher = {
  create: () => {
    const h: Hash = createHash('sha256');
    return { update: (b) => void h.update(b), digest: () => h.digest('hex') };
  },
  alloc: (size) => Buffer.allocUnsafe(size),
};

// Messages to the thread (handled in order by handleHashMessage) and its replies.
export type HashRequest =
  | { op: 'hash-share'; ref: number; sab: SharedArrayBuffer }
  | { op: 'hash-update'; key: number; ref: number; start: number; end: number; seq: number }
  | { op: 'hash-digest'; key: number; seq: number }
  | { op: 'seal-open'; key: number; payloadKey: Uint8Array }
  | { op: 'open-start'; key: number; payloadKey: Uint8Array; base: number; file: string }
  | { op: 'seal' | 'open'; key: number; ref: number; start: number; end: number; outRef: number; outStart: number; outEnd: number; final: boolean; seq: number };
export type HashReply = { hashSeq: number; hex?: string; sealed?: number; opened?: number; error?: { code: string; message: string } };

/** The thread's side: keeps the running hashes by key. Used by every worker that offers hashing. */
export function hashService(reply: (r: HashReply) => void): (msg: HashRequest) => boolean {
  const shared = new Map<number, SharedArrayBuffer>();
  const running = new Map<number, Hash>();
  const sealers = new Map<number, PayloadSealer>();
  const openers = new Map<number, PayloadOpener>();
  return (msg) => {
    switch (msg.op) {
      case 'open-start':
        openers.set(msg.key, new PayloadOpener(Buffer.from(msg.payloadKey), msg.base, msg.file));
        return true;
      case 'open': {
        const out = Buffer.from(shared.get(msg.outRef)!, msg.outStart, msg.outEnd - msg.outStart);
        let n = 0;
        const put = (plain: Buffer) => {
          if (n + plain.length > out.length) throw new Error(`open: ${plain.length} bytes do not fit the ${out.length - n} left of the output buffer`);
          n += plain.copy(out, n);
        };
        const opener = openers.get(msg.key);
        try {
          // After a failed chunk the opener is gone: nothing more is opened (the caller stops too).
          if (opener && msg.final) opener.end(put);
          else if (opener) opener.push(new Uint8Array(shared.get(msg.ref)!, msg.start, msg.end - msg.start), put);
          if (msg.final) openers.delete(msg.key);
          reply({ hashSeq: msg.seq, opened: n });
        } catch (e) {
          openers.delete(msg.key);
          const err = e as { code?: string; message: string };
          reply({ hashSeq: msg.seq, opened: n, error: { code: err.code ?? 'age-open-failed', message: err.message } });
        }
        return true;
      }
      case 'seal-open':
        sealers.set(msg.key, new PayloadSealer(Buffer.from(msg.payloadKey)));
        return true;
      case 'seal': {
        const sealer = sealers.get(msg.key)!;
        const pieces = msg.final ? sealer.end() : sealer.push(new Uint8Array(shared.get(msg.ref)!, msg.start, msg.end - msg.start));
        if (msg.final) sealers.delete(msg.key);
        const out = Buffer.from(shared.get(msg.outRef)!);
        let n = msg.outStart;
        for (const piece of pieces) n += piece.copy(out, n);
        reply({ hashSeq: msg.seq, sealed: n - msg.outStart });
        return true;
      }
      case 'hash-share':
        shared.set(msg.ref, msg.sab);
        return true;
      case 'hash-update': {
        let h = running.get(msg.key);
        if (!h) running.set(msg.key, (h = createHash('sha256')));
        h.update(new Uint8Array(shared.get(msg.ref)!, msg.start, msg.end - msg.start));
        reply({ hashSeq: msg.seq });
        return true;
      }
      case 'hash-digest': {
        const h = running.get(msg.key) ?? createHash('sha256');
        running.delete(msg.key);
        reply({ hashSeq: msg.seq, hex: h.digest('hex') });
        return true;
      }
      default:
        return false;
    }
  };
}

/** The calling side of a thread that runs hashService. */
export class ThreadHasher implements Hasher {
  private seq = 0;
  private keys = 0;
  private refs = new WeakMap<SharedArrayBuffer, number>();
  private nextRef = 0;
  private waiting = new Map<number, { resolve: (r: Partial<HashReply>) => void; reject: (e: Error) => void }>();
  private failed: Error | undefined;

  constructor(private readonly worker: Worker) {
    worker.on('message', (msg: Partial<HashReply>) => {
      if (msg.hashSeq === undefined) return; // another service's reply
      const w = this.waiting.get(msg.hashSeq);
      this.waiting.delete(msg.hashSeq);
      w?.resolve(msg);
    });
    worker.on('error', (e) => this.fail(e));
    worker.on('exit', (code) => this.fail(new Error(`hashing thread exited with code ${code}`)));
  }

  private fail(e: Error): void {
    this.failed ??= e;
    for (const w of this.waiting.values()) w.reject(this.failed);
    this.waiting.clear();
  }

  private ask(msg: HashRequest): Promise<Partial<HashReply>> {
    if (this.failed) return Promise.reject(this.failed);
    return new Promise((resolve, reject) => {
      this.waiting.set((msg as { seq: number }).seq, { resolve, reject });
      this.worker.postMessage(msg);
    });
  }

  alloc(size: number): Buffer {
    return Buffer.from(new SharedArrayBuffer(size));
  }

  private refOf(sab: SharedArrayBuffer): number {
    let ref = this.refs.get(sab);
    if (ref === undefined) {
      this.refs.set(sab, (ref = this.nextRef++));
      this.worker.postMessage({ op: 'hash-share', ref, sab } satisfies HashRequest);
    }
    return ref;
  }

  create(): StreamHash {
    const key = this.keys++;
    return {
      update: async (bytes) => {
        if (!(bytes.buffer instanceof SharedArrayBuffer)) throw new Error('bytes for the hashing thread must be in a buffer from alloc()');
        if (bytes.length === 0) return;
        const ref = this.refOf(bytes.buffer);
        await this.ask({ op: 'hash-update', key, ref, start: bytes.byteOffset, end: bytes.byteOffset + bytes.length, seq: this.seq++ });
      },
      digest: async () => (await this.ask({ op: 'hash-digest', key, seq: this.seq++ })).hex!,
    };
  }

  sealer(payloadKey: Buffer): ThreadSealer {
    const key = this.keys++;
    this.worker.postMessage({ op: 'seal-open', key, payloadKey: new Uint8Array(payloadKey) } satisfies HashRequest);
    const call = async (plain: Buffer | undefined, out: Buffer) => (await this.payloadStep('seal', key, plain, out)).sealed!;
    return { seal: (plain, out) => call(plain, out), end: (out) => call(undefined, out) };
  }

  opener(payloadKey: Buffer, base: number, file: string): ThreadOpener {
    const key = this.keys++;
    this.worker.postMessage({ op: 'open-start', key, payloadKey: new Uint8Array(payloadKey), base, file } satisfies HashRequest);
    const call = async (sealed: Buffer | undefined, out: Buffer): Promise<Opened> => {
      const r = await this.payloadStep('open', key, sealed, out);
      return { opened: r.opened!, ...(r.error ? { error: r.error } : {}) };
    };
    return { open: (sealed, out) => call(sealed, out), end: (out) => call(undefined, out) };
  }

  /** One step of a payload sealed or opened on the thread: `input` (undefined: the final step) and `out` are buffers from alloc(). */
  private payloadStep(op: 'seal' | 'open', key: number, input: Buffer | undefined, out: Buffer): Promise<Partial<HashReply>> {
    const ref = (b: Buffer) => {
      if (!(b.buffer instanceof SharedArrayBuffer)) throw new Error(`buffers for the ${op === 'seal' ? 'sealing' : 'opening'} thread must come from alloc()`);
      return this.refOf(b.buffer);
    };
    const outRef = ref(out);
    return this.ask({
      op, key, ref: input ? ref(input) : outRef, start: input?.byteOffset ?? 0, end: input ? input.byteOffset + input.length : 0,
      outRef, outStart: out.byteOffset, outEnd: out.byteOffset + out.length, final: input === undefined, seq: this.seq++,
    });
  }
}

/**
 * Below this many bytes to hash, a thread costs more than it saves: starting one takes ~40–80 ms
 * of CPU, hashing 16 MiB here ~12 ms (node:crypto, ~1.4 GB/s). An explicit switch on the size,
 * the same for tests and users: both sides run in every `npm test` (test/verify/hash-thread-switch).
 */
export const HASH_THREAD_MIN_BYTES = 16 * 1024 * 1024;

/**
 * A thread of its own for hashing `bytes` while this thread does other work (verify --deep and
 * restore hash the tarball there; backup shares its reader thread instead); for less than
 * HASH_THREAD_MIN_BYTES, the hashing runs here.
 */
export function openHashThread(bytes: number): { hasher: Hasher; close: () => Promise<void>; threaded: boolean } {
  if (bytes < HASH_THREAD_MIN_BYTES) return { hasher: localHasher, close: async () => {}, threaded: false };
  const worker = new Worker(workerUrl('./hash-worker.js', import.meta.url));
  worker.unref(); // never keeps the process alive on its own
  return { hasher: new ThreadHasher(worker), close: async () => void (await worker.terminate()), threaded: true };
}
