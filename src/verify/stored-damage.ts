// Which failures of a read by offset say the stored bytes are damaged (a member then counts as
// damaged, named), as opposed to a refusal (a wrong key: io/age-feed.ts isKeyProblem) or a bug:
// an age chunk that does not open, a gzip block that does not inflate (format 3), a format 3
// tarball's index that cannot be used. Shared by verify --sample, delta rebuilds and restore.
import { AgeDamagedError } from '../crypto/age-errors.js';
import { GzipBlockError } from '../io/gzip-block-reader.js';
import { GzipTarballError } from '../layout/tar-gzip.js';

export const isStoredDamage = (e: unknown): e is Error =>
  e instanceof AgeDamagedError || e instanceof GzipBlockError || e instanceof GzipTarballError;
