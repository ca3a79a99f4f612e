// Extracts a verified tarball into an empty staging folder, member by member, with our own
// writer instead of node-tar's (measured: node-tar rewrites absolute symlink targets, drops
// links that point outside the tree, and its pax parser loses names with a newline). Every
// path is checked before anything is created; files are created O_EXCL|O_NOFOLLOW and hashed as
// written; hard links and symlinks come last, so nothing is ever written through a link.
import { createHash, type Hash } from 'node:crypto';
// Synchronous calls for the per-file work: restoring thousands of small files is a long series
// of tiny calls, and the promise API's round trip through libuv's pool dominated (profiled).
import { closeSync, constants, fchmodSync, fchownSync, futimesSync, lstatSync, mkdirSync, openSync, unlinkSync, writeSync } from 'node:fs';
import { link, symlink, lutimes } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { checkMemberPath, collisionKey, describePathProblem, hardlinkTarget, symlinkStaysInside } from '../core/member-path.js';
import type { ManifestIndex } from './manifest-index.js';
import { readChunks } from '../io/read-chunks.js';
import { NotRegularFileError, openRegularFile } from '../io/read-regular.js';
import { compareArchivePaths } from '../core/archive-order.js';
import { typeDisagreement } from '../verify/deep-check.js';
import type { Hasher, StreamHash } from '../io/hash-thread.js';
import { TarFormatError, TarReader, type TarEntry } from '../layout/tar-reader.js';

/** Reserved for the staging folder (restore.ts): never a member's top-level name. */
export const STAGING_NAME = '.airgap-restore-';
const CREATE = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
const SPECIAL_BITS = 0o6000; // setuid, setgid

export interface ExtractOptions {
  /** The tarball's files in order: one, or its parts (read as one stream). */
  tarPaths: string[];
  /** The SHA-256 of each tarball file (part), fed as it is read. */
  hashing?: { hasher: Hasher; hashes: StreamHash[] };
  staging: string;
  /** The per-file manifest, by archive path: every regular file is checked against it. */
  manifest: ManifestIndex;
  /** Restrict to these members (undefined: everything). */
  select?: (path: string) => boolean;
  keepSpecialBits: boolean;
  owners: boolean;
  onFile?: (path: string, bytes: number) => void;
}

export interface Issue {
  path: string;
  reason: string;
}

export interface ExtractReport {
  files: number;
  dirs: number;
  symlinks: number;
  hardlinks: number;
  bytes: number;
  /** Members whose content did not match the manifest (removed), or that could not be read. */
  damaged: Issue[];
  /** Members refused as unsafe (hostile or corrupt archive). */
  refused: Issue[];
  /** Entries of the target left as they were (promote), and what was therefore not restored. */
  kept: Issue[];
  /** Selected manifest entries that never came out of the archive, each with why. */
  missing: Issue[];
  /** How many regular files the selection asked for (the manifest's count). */
  selectedFiles: number;
  /** Symlinks restored verbatim whose target lies outside the restored tree (never followed). */
  outsideLinks: { path: string; target: string }[];
  /** Archive structure broken at this byte (or, endsEarly, an end-of-archive marker too soon): nothing after it was restored. */
  brokenAt?: { offset: number; message: string; endsEarly?: boolean };
}

/** A folder the archive created, with the mode and mtime to apply once everything is in place. */
export interface FolderAttrs {
  path: string;
  mode: number;
  mtime: number;
}

type Pending =
  | { kind: 'skip' }
  | { kind: 'file'; path: string; row: number; fd: number; hash: Hash; size: number; entry: TarEntry; failed?: string }
  | { kind: 'other' };

/** Extracts into the staging folder: what happened (the report), and the folders' attributes to apply last. */
export async function extractArchive(opts: ExtractOptions): Promise<{ report: ExtractReport; folders: FolderAttrs[] }> {
  const report: ExtractReport = { files: 0, dirs: 0, symlinks: 0, hardlinks: 0, bytes: 0, damaged: [], refused: [], kept: [], missing: [], selectedFiles: 0, outsideLinks: [] };
  const folders: FolderAttrs[] = [];
  // Which manifest rows the archive held (whatever became of them): the rest are accounted for at the end.
  const seenRows = new Uint8Array(opts.manifest.length);
  let lastMember: string | undefined;
  const seen = new Map<string, string>(); // collision key → path
  const kinds = new Map<string, string>(); // path → type, for parent checks
  const restoredFiles = new Set<string>();
  const links: { path: string; target: string; entry: TarEntry }[] = [];
  const symlinks: { path: string; target: string; entry: TarEntry }[] = [];
  const madeDirs = new Set<string>();
  const implicit = new Set<string>(); // folders created as parents, not (yet) by their own entry
  let current: Pending = { kind: 'skip' };

  const refuse = (path: string, reason: string) => report.refused.push({ path, reason });
  const ensureDir = (rel: string): void => {
    if (rel === '' || madeDirs.has(rel)) return;
    ensureDir(dirname(rel) === '.' ? '' : dirname(rel));
    const abs = join(opts.staging, rel);
    try {
      mkdirSync(abs);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      // Only a real folder we made may hold children; never a file or a link in its place.
      if (!lstatSync(abs).isDirectory()) throw Object.assign(new Error(`${rel} is not a folder`), { code: 'ENOTDIR' });
    }
    if (!kinds.has(rel)) {
      // A folder made only as a parent still occupies its name: a later file or link of the
      // same name must be refused, not crash on EEXIST.
      kinds.set(rel, 'dir');
      implicit.add(rel);
      seen.set(collisionKey(rel), rel);
    }
    madeDirs.add(rel);
  };

  /** Checks a member against every rule; returns its safe path and its manifest row (-1: none), or undefined (refused). */
  const admit = (e: TarEntry): { path: string; row: number } | undefined => {
    const c = checkMemberPath(e.path);
    if ('problem' in c) {
      // Named as refused: not also as missing, should the manifest list it verbatim.
      const listed = opts.manifest.find(e.path);
      if (listed >= 0) seenRows[listed] = 1;
      return void refuse(e.path, describePathProblem(c.problem));
    }
    let path = c.parts.join('/');
    // One string per path for the whole restore, the manifest's: the maps below all hold it
    // (a second copy per path, and a third for its collision key, cost ~90 bytes a file).
    const row = opts.manifest.find(path);
    if (row >= 0) {
      path = opts.manifest.path(row);
      seenRows[row] = 1;
    }
    lastMember = path;
    const prefixes: string[] = [];
    const prefixKeys: string[] = [];
    // Built a component at a time ('/' neither composes nor changes case, so a path's key is its
    // components' keys joined): a 1024-deep path costs one pass, not one per level.
    let prefix = '';
    let prefixKey = '';
    for (let i = 0; i < c.parts.length - 1; i++) {
      prefix = i === 0 ? c.parts[0]! : `${prefix}/${c.parts[i]}`;
      prefixKey = i === 0 ? collisionKey(c.parts[0]!) : `${prefixKey}/${collisionKey(c.parts[i]!)}`;
      prefixes.push(prefix);
      prefixKeys.push(prefixKey);
      const k = kinds.get(prefix);
      if (k === 'symlink') return void refuse(path, `goes through the symlink ${prefix} (created earlier in this archive)`);
      if (k && k !== 'dir') return void refuse(path, `goes through ${prefix}, which is not a folder`);
      // Parent folders too, listed or not: "Café/" (NFC) and "Café/" (NFD), or "Docs/" and
      // "DOCS/", are one folder on a normalising or case-insensitive disk, two look-alikes elsewhere.
      const other = seen.get(prefixKey);
      if (other !== undefined && other !== prefix) return void refuse(path, `its folder ${prefix} collides with ${other} (same name once case or unicode form is ignored)`);
    }
    if (c.parts[0]!.startsWith(STAGING_NAME)) return void refuse(path, `${STAGING_NAME}* names are reserved for airgap's own staging folder`);
    let key = collisionKey(path);
    if (key === path) key = path;
    const earlier = seen.get(key);
    if (earlier === path && implicit.has(path) && e.type === 'Directory') {
      implicit.delete(path); // the folder's own entry, after one of its contents: fine
      return { path, row };
    }
    if (earlier !== undefined) {
      return void refuse(path, earlier === path ? 'appears twice in the archive' : `collides with ${earlier} (same name once case or unicode form is ignored)`);
    }
    seen.set(key, path);
    // Its parents occupy their names from now on (created or not, selected or not).
    for (const [j, p] of prefixes.entries()) {
      const k = prefixKeys[j]!;
      if (seen.has(k)) continue;
      seen.set(k, p);
      if (!kinds.has(p)) {
        kinds.set(p, 'dir');
        implicit.add(p);
      }
    }
    return { path, row };
  };

  // Every member is handled synchronously, inside the tar reader's callbacks: no promise or
  // closure per member (they cost time and garbage over hundreds of thousands of files).
  const onEntry = (e: TarEntry) => {
    current = { kind: 'skip' };
    try {
      startMember(e);
    } catch (err) {
      // One bad member (a name too long for this filesystem, a clash) never aborts the rest.
      refuse(e.path, `cannot be created here: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  };

  const startMember = (e: TarEntry): void => {
      const admitted = admit(e);
      if (admitted === undefined) return;
      const { path, row } = admitted;
      if (opts.select && !opts.select(path)) {
        if (e.type === 'Directory') kinds.set(path, 'dir');
        return;
      }
      const type = e.type;
      if (!MEMBER_TYPES.has(type)) return void refuse(path, `${type} entries (devices, FIFOs, ...) are never created`);
      kinds.set(path, type === 'Directory' ? 'dir' : type === 'SymbolicLink' ? 'symlink' : type === 'Link' ? 'hardlink' : 'file');
      // The manifest is the truth (and what verify --deep compares with): a member it does not
      // list, or lists as another type or with another link target, is damage, never created.
      if (row < 0) return void report.damaged.push({ path, reason: 'in the tarball but not in the manifest' });
      const wrongType = typeDisagreement(opts.manifest.type(row), type);
      if (wrongType) return void report.damaged.push({ path, reason: wrongType });
      if ((type === 'SymbolicLink' || type === 'Link') && (e.linkpath ?? '') !== (opts.manifest.link(row) ?? '')) {
        return void report.damaged.push({ path, reason: `link target is ${JSON.stringify(e.linkpath ?? '')}, manifest says ${JSON.stringify(opts.manifest.link(row) ?? '')}` });
      }
      if (type === 'Directory') {
        ensureDir(path);
        folders.push({ path, mode: maskMode(e.mode, opts.keepSpecialBits), mtime: e.mtime });
        report.dirs++;
      } else if (type === 'SymbolicLink') {
        symlinks.push({ path, target: e.linkpath ?? '', entry: e });
      } else if (type === 'Link') {
        const target = hardlinkTarget(e.linkpath ?? '');
        if (target === undefined) return void refuse(path, `hard link to ${JSON.stringify(e.linkpath)}, outside the restored tree`);
        links.push({ path, target, entry: e });
      } else {
        ensureDir(dirname(path) === '.' ? '' : dirname(path));
        const fd = openSync(join(opts.staging, path), CREATE, 0o600);
        current = { kind: 'file', path, row, fd, hash: createHash('sha256'), size: 0, entry: e };
      }
  };

  const reader = new TarReader({
    entry: onEntry,
    data: (chunk) => {
      const c = current;
      if (c.kind !== 'file' || c.failed) return;
      c.hash.update(chunk);
      c.size += chunk.length;
      try {
        let off = 0;
        while (off < chunk.length) off += writeSync(c.fd, chunk, off, chunk.length - off);
      } catch (err) {
        c.failed = `cannot write: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`;
      }
    },
    entryEnd: () => {
      const c = current;
      current = { kind: 'skip' };
      if (c.kind !== 'file') return;
      const sha = c.hash.digest('hex');
      const ok = !c.failed && sha === opts.manifest.sha256(c.row) && c.size === opts.manifest.size(c.row);
      try {
        if (ok) {
          fchmodSync(c.fd, maskMode(c.entry.mode, opts.keepSpecialBits));
          if (opts.owners) {
            try {
              fchownSync(c.fd, c.entry.uid, c.entry.gid);
            } catch {
              // not allowed (not root): the owner stays the restoring user's
            }
          }
          futimesSync(c.fd, c.entry.mtime, c.entry.mtime);
        }
      } finally {
        closeSync(c.fd);
      }
      if (!ok) {
        unlinkSync(join(opts.staging, c.path));
        report.damaged.push({ path: c.path, reason: c.failed ?? 'content does not match its SHA-256 in the manifest' });
        return;
      }
      restoredFiles.add(c.path);
      report.files++;
      report.bytes += c.size;
      opts.onFile?.(c.path, c.size);
    },
  });

  let offset = 0;
  try {
    for (const [fileIndex, tarPath] of opts.tarPaths.entries()) {
      // Opened no-follow and non-blocking, and checked to be a regular file, even for --salvage:
      // a FIFO would block forever, a link to /dev/zero never end, a link elsewhere extract a
      // tarball that is not on this drive. A missing or refused part ends the archive there.
      let fh: Awaited<ReturnType<typeof openRegularFile>>['fh'];
      try {
        ({ fh } = await openRegularFile(tarPath));
      } catch (e) {
        const why = e instanceof NotRegularFileError ? `is ${e.what}, not a regular file (never read)` : (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'is missing' : `cannot be opened (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`;
        report.brokenAt = { offset, message: `${basename(tarPath)} ${why}; nothing from it on can be restored` };
        throw new StopReading();
      }
      const before = offset;
      try {
        offset += await readChunks(fh, async (chunk) => {
          // After a break the rest is still read, for the tarball's SHA-256 only: whether its
          // bytes are the ones SHA256SUMS lists decides if this is damage (--salvage only) or an
          // archive written that way (what is sound is restored, the rest named; exit 3).
          if (report.brokenAt) return;
          try {
            reader.write(chunk);
          } catch (e) {
            if (!(e instanceof TarFormatError)) throw e;
            report.brokenAt ??= { offset: e.offset, message: e.message };
          }
        }, opts.hashing ? { hasher: opts.hashing.hasher, hash: opts.hashing.hashes[fileIndex]! } : undefined);
      } catch (e) {
        if (e instanceof StopReading || e instanceof TarFormatError) throw e;
        // A read error (EIO on a failing drive): what came before is kept, like a broken header.
        report.brokenAt ??= { offset: before, message: `${basename(tarPath)} cannot be read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` };
        throw new StopReading();
      } finally {
        await fh.close();
      }
    }
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
    if (!report.brokenAt && reader.ended && offset > reader.endAt + 1024) {
      report.brokenAt = { offset: reader.endAt, endsEarly: true, message: `the archive ends early at byte ${reader.endAt}: an end-of-archive marker, and ${offset - reader.endAt - 1024} more bytes after it` };
    }
  } catch (e) {
    if (!(e instanceof StopReading)) throw e;
  } finally {
    const c = current as Pending;
    if (c.kind === 'file') {
      try {
        closeSync(c.fd);
        unlinkSync(join(opts.staging, c.path));
      } catch {
        // already gone: nothing to clean
      }
      report.damaged.push({ path: c.path, reason: 'cut off by the damage in the archive' });
    }
  }

  // Hard links only to files restored intact in this run.
  for (const l of links) {
    if (!restoredFiles.has(l.target)) {
      report.damaged.push({ path: l.path, reason: `hard link to ${l.target}, which was not restored` });
      continue;
    }
    try {
      ensureDir(dirname(l.path) === '.' ? '' : dirname(l.path));
      await link(join(opts.staging, l.target), join(opts.staging, l.path));
    } catch (err) {
      refuse(l.path, `cannot create the hard link: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      continue;
    }
    report.hardlinks++;
  }
  // Symlinks last, verbatim (absolute and outside targets included), never followed.
  for (const s of symlinks) {
    try {
      ensureDir(dirname(s.path) === '.' ? '' : dirname(s.path));
      await symlink(s.target, join(opts.staging, s.path));
    } catch (e) {
      refuse(s.path, `cannot create the symlink: ${(e as NodeJS.ErrnoException).code}`);
      continue;
    }
    await lutimes(join(opts.staging, s.path), s.entry.mtime, s.entry.mtime).catch(() => {});
    report.symlinks++;
    if (!symlinkStaysInside(s.path, s.target)) report.outsideLinks.push({ path: s.path, target: s.target });
  }

  // Every selected manifest entry is accounted for: those the archive never held are named.
  // The manifest is in archive order, so an entry after the last member read, in an archive
  // that broke off, lies after the damage; any other was never in the archive.
  for (let i = 0; i < opts.manifest.length; i++) {
    const p = opts.manifest.path(i);
    if (opts.select && !opts.select(p)) continue;
    const t = opts.manifest.type(i);
    if (t === 'file') report.selectedFiles++;
    if (seenRows[i]) continue;
    const afterDamage = report.brokenAt !== undefined && (lastMember === undefined || compareArchivePaths(p, lastMember) > 0);
    let reason = afterDamage ? `after the damage at byte ${report.brokenAt!.offset}: never read` : 'not in the archive';
    if (t === 'dir' && madeDirs.has(p)) reason += ' (the folder was made as a parent of what came back, without its own mode and time)';
    report.missing.push({ path: p, reason });
  }
  return { report, folders };
}

class StopReading extends Error {}

/** The member types a restore creates (others, such as devices and FIFOs, never are). File-like types other than File are damage (see typeDisagreement). */
const MEMBER_TYPES = new Set(['File', 'OldFile', 'ContiguousFile', 'Directory', 'SymbolicLink', 'Link']);

const maskMode = (mode: number, keepSpecial: boolean) => (keepSpecial ? mode : mode & ~SPECIAL_BITS) & 0o7777;
