// Leftovers of interrupted runs on a drive (.partial-<ID>, .pruning-<ID>): removed by the next
// run that holds the drive lock, except next to their own snapshot (see below).
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { AirgapError, EXIT } from '../core/errors.js';
import { PARTIAL_PREFIX } from './format.js';
import { readDriveContents, twinMessage } from './drive-contents.js';

/**
 * Removes what interrupted backups and prunes left (the caller holds the drive lock). A leftover
 * whose snapshot X is also there (.partial-X or .pruning-X next to X) is never removed: on
 * FAT/exFAT a rename is not atomic, and after a power cut both entries may point at the same
 * clusters, so deleting one would delete the snapshot. Those are reported, and left for fsck.
 */
export async function removeLeftovers(airgapDir: string, report: (line: string) => void): Promise<void> {
  const { leftovers, twins } = await readDriveContents(airgapDir);
  for (const name of twins) report(`warning: ${twinMessage(name)}`);
  for (const name of leftovers) {
    if (twins.includes(name)) continue;
    report(`note: removing ${name}, left by an interrupted ${name.startsWith(PARTIAL_PREFIX) ? 'backup' : 'prune'}`);
    try {
      await rm(join(airgapDir, name), { recursive: true, force: true });
    } catch (e) {
      throw new AirgapError('leftover-stuck', `cannot remove the unfinished snapshot ${name}: ${(e as Error).message}`, EXIT.refused, 'remove that folder by hand, then run again');
    }
  }
}
