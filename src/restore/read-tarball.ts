// Feeds the tarball's bytes, part after part, to the tar reader, and records in
// report.brokenAt where and why the archive stopped being readable: a part missing or not a
// regular file, a read error, a broken header, an end-of-archive marker too soon. What came
// before a break is kept; nothing after it is restored. An encrypted tarball's parts are one age
// file (docs/FORMAT.md "Encrypted drives"): the stored bytes are hashed part by part as always
// (SHA256SUMS lists them), and decrypted on their way to the tar reader; offsets are then in the
// plaintext, an age chunk that fails is a break like a broken header, and a wrong key a refusal.
// A format 3 tarball (docs/FORMAT.md "Format 3") is gunzipped last (after the decryption): its
// gzip members one after another are the tar, offsets are in the tar, and a block that does not
// inflate (a CRC, a cut) is a break at the tar byte reached, what came before kept. Whether that
// is damage or an archive written that way is decided by the stored bytes' SHA-256, as always.
import { basename } from 'node:path';
import { AgeDamagedError } from '../crypto/age-errors.js';
import { ageReader, isKeyProblem, type AgeReader } from '../io/age-feed.js';
import { GunzipError, GunzipFeed } from '../io/gunzip-feed.js';
import { joinedName } from '../io/joined-files.js';
import { readChunks } from '../io/read-chunks.js';
import { NotRegularFileError, openRegularFile } from '../io/read-regular.js';
import type { Hasher, StreamHash } from '../io/hash-thread.js';
import { TarFormatError, type TarReader } from '../layout/tar-reader.js';
import type { ExtractReport, TarballSource } from './extract-types.js';

/** Ends the reading at a part that cannot be read (report.brokenAt says why). */
class StopReading extends Error {}

/** Where a tarball stopped being readable, if it did (report.brokenAt). */
type Breaks = Pick<ExtractReport, 'brokenAt'>;

/** Where the tar bytes go: to the tar reader, through the decryption of an encrypted tarball. */
interface Feed {
  encrypted: boolean;
  write(chunk: Buffer): Promise<void>;
  /** The hash readChunks gets for a part (an encrypted tarball's chunks are opened on the hashing thread beside it). */
  hashing(inner: StreamHash | undefined): StreamHash | undefined;
  /** The tar stream's bytes so far (the plaintext's, when encrypted; the inflated tar's in format 3). */
  at(stored: number): number;
}

export async function readTarball(t: TarballSource, hasher: Hasher | undefined, reader: TarReader, report: Breaks): Promise<void> {
  let offset = 0;
  const hashing = hasher && (t.hashes || t.encrypted) ? { hasher, hashes: t.hashes } : undefined;
  const toReader = (chunk: Buffer) => {
    try {
      reader.write(chunk);
    } catch (e) {
      if (!(e instanceof TarFormatError)) throw e;
      report.brokenAt ??= { offset: e.offset, message: e.message };
    }
  };
  const gz = t.gzip ? new GunzipFeed(toReader, t.gzip.tarSize) : undefined;
  // The stored stream's bytes (the plaintext, when encrypted) on to the tar reader, inflated first in format 3.
  const toTar = gz ? (c: Buffer) => gzipBreaks(gz, report, () => gz.push(c)) : async (c: Buffer) => toReader(c);
  const age = t.encrypted ? ageReader(t.tarPaths[0]!, joinedName(t.tarPaths), hasher) : undefined;
  const feed: Feed = age
    ? { encrypted: true, write: (c) => ageBreaks(age, report, () => age.push(c, toTar), () => feed.at(0)), at: () => (gz ? gz.out : age.plaintext), hashing: (h) => age.hashing(h) }
    : { encrypted: false, write: toTar, at: (n) => (gz ? gz.out : n), hashing: (h) => h };
  try {
    for (const [fileIndex, tarPath] of t.tarPaths.entries()) offset = await readPart(hashing, feed, report, fileIndex, tarPath, offset);
    if (age && !report.brokenAt) await ageBreaks(age, report, () => age.end(toTar), () => feed.at(0));
    if (gz && !report.brokenAt) await gzipBreaks(gz, report, () => gz.end());
    if (!report.brokenAt) {
      try {
        reader.end();
      } catch (e) {
        if (!(e instanceof TarFormatError)) throw e;
        report.brokenAt = { offset: e.offset, message: e.message };
      }
    }
    // airgap ends its archives with exactly one end-of-archive marker (two zero blocks). One
    // further in is a zeroed page at a header: the archive ends early there, and reads as a
    // clean end to a tar reader.
    const end = feed.at(offset);
    if (!report.brokenAt && reader.ended && end > reader.endAt + 1024) {
      report.brokenAt = { offset: reader.endAt, endsEarly: true, message: `the archive ends early at byte ${reader.endAt}: an end-of-archive marker, and ${end - reader.endAt - 1024} more bytes after it` };
    }
  } catch (e) {
    if (!(e instanceof StopReading)) throw e;
  } finally {
    gz?.close();
  }
}

/** A gzip block that does not inflate (format 3) breaks the archive at the tar byte reached; nothing after it is inflated. */
async function gzipBreaks(gz: GunzipFeed, report: Breaks, step: () => Promise<void>): Promise<void> {
  if (report.brokenAt) return;
  try {
    await step();
  } catch (e) {
    if (!(e instanceof GunzipError)) throw e;
    gz.close();
    report.brokenAt ??= { offset: e.tarOffset, message: e.message };
  }
}

/**
 * An age chunk that fails (a changed byte, a cut) breaks the archive where its plaintext would
 * start (format 3: at the tar byte inflated so far, `tarAt`); other errors (a wrong key) pass.
 */
async function ageBreaks(age: AgeReader, report: Breaks, step: () => Promise<void>, tarAt = () => age.plaintext): Promise<void> {
  try {
    await step();
  } catch (e) {
    if (!(e instanceof AgeDamagedError)) throw e;
    report.brokenAt ??= { offset: tarAt(), message: `the encrypted tarball is damaged at byte ${age.plaintext} of its contents: ${e.message}`, notAsWritten: true };
  }
}

/** A part missing or unreadable: for an encrypted tarball, bytes that are not the ones written (a plain one's SHA-256 says so). */
const notAsWritten = (feed: Feed) => (feed.encrypted ? { notAsWritten: true } : {});

/** The hashing readChunks does for part `fileIndex`: the part's SHA-256 (when asked for), and an encrypted tarball's opening. */
function partHashing(hashing: { hasher: Hasher; hashes: StreamHash[] | undefined } | undefined, feed: Feed, fileIndex: number) {
  const hash = hashing && feed.hashing(hashing.hashes?.[fileIndex]);
  return hashing && hash ? { hasher: hashing.hasher, hash } : undefined;
}

/** Reads one part (file) of the tarball, which starts at byte `offset` of the stored files; returns where the next one starts. */
async function readPart(hashing: { hasher: Hasher; hashes: StreamHash[] | undefined } | undefined, feed: Feed, report: Breaks, fileIndex: number, tarPath: string, offset: number): Promise<number> {
  // Opened no-follow and non-blocking, and checked to be a regular file, even for --salvage:
  // a FIFO would block forever, a link to /dev/zero never end, a link elsewhere extract a
  // tarball that is not on this drive. A missing or refused part ends the archive there.
  let fh: Awaited<ReturnType<typeof openRegularFile>>['fh'];
  try {
    ({ fh } = await openRegularFile(tarPath));
  } catch (e) {
    const why = e instanceof NotRegularFileError ? `is ${e.what}, not a regular file (never read)` : (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'is missing' : `cannot be opened (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`;
    report.brokenAt = { offset: feed.at(offset), message: `${basename(tarPath)} ${why}; nothing from it on can be restored`, ...notAsWritten(feed) };
    throw new StopReading();
  }
  const before = offset;
  try {
    offset += await readChunks(fh, async (chunk) => {
      // After a break the rest is still read, for the tarball's SHA-256 only: whether its
      // bytes are the ones SHA256SUMS lists decides if this is damage (--salvage only) or an
      // archive written that way (what is sound is restored, the rest named; exit 3).
      if (report.brokenAt) return;
      await feed.write(chunk);
    }, partHashing(hashing, feed, fileIndex));
  } catch (e) {
    // A wrong key or none (io/keys.ts) is a refusal, not a break.
    if (e instanceof StopReading || e instanceof TarFormatError || isKeyProblem(e)) throw e;
    // A read error (EIO on a failing drive): what came before is kept, like a broken header.
    report.brokenAt ??= { offset: feed.at(before), message: `${basename(tarPath)} cannot be read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, ...notAsWritten(feed) };
    throw new StopReading();
  } finally {
    await fh.close();
  }
  return offset;
}
