import { createHash } from 'node:crypto';

/** SHA-256 of a small in-memory buffer, as lowercase hex (bulk data is hashed as it streams). */
export const sha256Hex = (data: Buffer | string): string => createHash('sha256').update(data).digest('hex');
