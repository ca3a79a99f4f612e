// Bytes for tests: SHA-256 in hex, and deterministic incompressible content.
import { createHash } from 'node:crypto';

export const sha256 = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');

/** Deterministic incompressible bytes (a hash chain from `seed`), so a flipped byte lands in real content. */
export function noise(size: number, seed: string): Buffer {
  const chunks: Buffer[] = [];
  let h = Buffer.from(seed);
  for (let n = 0; n < size; n += 32) chunks.push((h = createHash('sha256').update(h).digest()));
  return Buffer.concat(chunks).subarray(0, size);
}
