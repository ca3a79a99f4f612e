// Reads picked files for the checks: SHA-256 (@noble/hashes, bundled into the page) over the
// file in pieces, never the whole file in memory (a tarball is gigabytes). The next piece is
// read while this one is hashed, so the disk and the hash overlap.
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import type { FileReader } from './check-snapshot.js';

/** 4 MiB: large enough that the per-read cost disappears, small enough to never matter in memory. */
export const PIECE_BYTES = 4 * 1024 * 1024;

export function blobReader(onBytes: (n: number) => void): FileReader<Blob> {
  return {
    size: (f) => f.size,
    bytes: async (f) => new Uint8Array(await f.arrayBuffer()),
    sha256: (f) => sha256OfBlob(f, onBytes),
    sha256OfBytes: (b) => bytesToHex(sha256(b)),
  };
}

async function sha256OfBlob(blob: Blob, onBytes: (n: number) => void): Promise<string> {
  const h = sha256.create();
  const piece = (at: number) => blob.slice(at, Math.min(at + PIECE_BYTES, blob.size)).arrayBuffer();
  let next = blob.size > 0 ? piece(0) : undefined;
  for (let at = 0; next; ) {
    const bytes = new Uint8Array(await next);
    // A file shorter than the picker said (changed or cut while read) is damage, not a short hash.
    if (bytes.length === 0) throw new Error('the file became shorter while it was read');
    at += bytes.length;
    next = at < blob.size ? piece(at) : undefined;
    h.update(bytes);
    onBytes(bytes.length);
  }
  return bytesToHex(h.digest());
}
