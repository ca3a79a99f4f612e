// Format 2, a regular file of 16 MiB or more in the archive loop (archive.ts): carried when its
// content is the chain's, stored as its changed blocks (large-delta.ts, core/block-delta.ts), or
// stored whole; its block list goes into the snapshot's BLOCKS for the next increment either way.
import { blockCount, MAX_DD_LINES, planDelta, type Run } from '../core/block-delta.js';
import type { ManifestEntry } from '../layout/manifest.js';
import { BlockHasher } from './block-hasher.js';
import { CHECK_SILENT, STORE } from './carry-plan.js';
import { sameAsScanned } from './carry-check.js';
import { hashLarge, writeDeltaMembers, type LargeRead } from './large-delta.js';
import type { ScanEntries, ScanEntry } from './scan.js';
import { streamLarge } from './stream-large.js';
import { carriedEntry, manifestEntry, silentChangeMessage, storedFile, type Loop } from './archive-file.js';

/** Why a large file cannot be stored as a delta of its copy in the chain, whatever its blocks say. */
function noDelta(e: ScanEntry, key: string | undefined, read: LargeRead, prior: ManifestEntry): boolean {
  return key !== undefined // a hard-link group is stored whole, so that tar links it again
    || /[\x00-\x1f\x7f]/.test(e.path) // RESTORE.txt's dd lines must stay one line each
    || read.header.mode !== prior.mode || read.header.uid !== prior.uid || read.header.gid !== prior.gid
    || prior.type !== 'file' || !prior.blocks;
}

/**
 * Format 2, a regular file of 16 MiB or more that is not carried unread: hashed whole and by
 * blocks first, then carried (same content), stored as its changed blocks (core/block-delta.ts),
 * or stored whole. Either way its block list goes into BLOCKS for the next increment.
 */
export async function archiveLargeV2(loop: Loop, entries: ScanEntries, i: number, e: ScanEntry, plan: number, key: string | undefined): Promise<void> {
  const { out, problems, carry, tick, counts } = loop;
  const prior = carry?.prior(i);
  const id = loop.opts.format2?.id;
  // Read first only when there is something to compare with: the chain's copy (a check) or its
  // block list (a delta). Else one read, straight into the tarball, hashes both.
  const read = plan !== STORE || (prior && id) ? await hashLarge(e, tick) : undefined;
  if (read && plan !== STORE) {
    const where = carry!.where(i);
    if (read.sha256 === where.sha256 && sameAsScanned({ ...read.header, size: read.size }, e)) {
      return loop.record(carriedEntry(loop, e, i, entries.stamp(i), read.entropy));
    }
    if (plan === CHECK_SILENT) problems.push({ path: e.abs, kind: 'silent-change', message: silentChangeMessage(where.in) });
  }
  if (read && prior && id && !noDelta(e, key, read, prior)) {
    const old = await loop.opts.format2!.blockList?.(prior.blocks!.in!, prior.blocks!.offset, prior.size);
    const decided = old ? planDelta({ size: prior.size, hashes: old }, { size: read.size, hashes: read.blocks }) : undefined;
    // No changed block (the same content, or a cut at a block boundary): the last block is
    // stored anyway, so that every delta link has a member and its size in RESTORE.txt.
    const members: Run[] = decided?.kind !== 'delta' ? [] : decided.members.length ? decided.members : [{ first: blockCount(read.size) - 1, count: 1 }];
    // A snapshot's RESTORE.txt stays readable: past MAX_DD_LINES (a dd per member and one to set
    // the size), the next large files are stored whole.
    if (members.length && counts.delta.lines + members.length + 1 <= (loop.opts.format2?.maxDdLines ?? MAX_DD_LINES)) {
      counts.delta.lines += members.length + 1;
      const n = counts.delta.files + 1;
      const at = out.tar.written;
      counts.deltaMembers = true;
      if (await writeDeltaMembers(e, out.tar, id, n, members, read, tick)) {
        const entry = manifestEntry('file', e.path, read.header.mode, read.header.uid, read.header.gid, read.size, read.header.mtime, read.sha256, undefined);
        entry.in = prior.in;
        entry.offset = prior.offset;
        entry.blocks = await putBlocks(loop, read.blocks);
        entry.delta = [...(prior.delta ?? []), { n, offset: at, size: read.size, members }];
        counts.delta.files++;
        counts.delta.bytes += out.tar.written - at;
        counts.deltaFiles.push({ path: e.path, mtime: read.header.mtime, links: entry.delta });
        loop.storedWait = loop.opts.onStored?.(entry, read.entropy, entries.stamp(i)) ?? undefined;
        counts.files++;
        counts.contentBytes += read.size;
        return loop.record(entry);
      }
      problems.push({ path: e.abs, kind: 'changed', message: 'changed while its changed blocks were being copied; stored whole instead' });
    }
  }
  const blocks = new BlockHasher();
  const stored = await streamLarge(e, out.tar, (p) => problems.push({ path: e.abs, ...p }), tick, blocks);
  if (stored) await storedFile(loop, entries, i, e, stored, key, await putBlocks(loop, blocks.digest()));
}

/** Appends a block list to this snapshot's BLOCKS; where it is, for the manifest line. */
async function putBlocks(loop: Loop, list: Buffer): Promise<{ offset: number }> {
  loop.blocksOut ??= await loop.out.blocks!();
  const offset = loop.blocksOut.written;
  await loop.blocksOut.write(list);
  return { offset };
}
