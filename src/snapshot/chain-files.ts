// Format 2's own files in a snapshot folder (docs/FORMAT.md): REMOVE.nul and RESTORE.txt,
// written and fsynced before snapshot.json (so SHA256SUMS, written last, covers them), and
// snapshot.json's chain fields.
import { join } from 'node:path';
import { formatNulList } from '../core/chain-restore.js';
import { createFileSynced } from '../io/durable.js';
import { failpoint } from '../io/failpoint.js';
import { sha256Hex } from '../io/sha256.js';
import type { SnapshotMeta } from '../layout/format.js';
import { REMOVE_FILE, RESTORE_FILE, restoreText } from '../layout/restore-text.js';
import type { SumLine } from '../layout/sha256sums.js';
import type { ArchiveCounts } from './archive.js';
import type { PreparedChain } from './prepare-snapshot.js';

/** Format 2's REMOVE.nul and RESTORE.txt (written and fsynced before snapshot.json), for SHA256SUMS. */
export async function writeChainFiles(partial: string, chain: PreparedChain, ownParts: boolean, counts: ArchiveCounts): Promise<SumLine[]> {
  const links = chain.links.map((l, i) => (i === chain.links.length - 1 ? { ...l, parts: ownParts, deltaMembers: counts.deltaMembers } : l));
  const files: [string, string][] = [[REMOVE_FILE, formatNulList(chain.removal)], [RESTORE_FILE, restoreText(links, counts.deltaFiles)]];
  const out: SumLine[] = [];
  for (const [name, text] of files) {
    await createFileSynced(join(partial, name), text);
    out.push({ sha256: sha256Hex(Buffer.from(text)), name });
  }
  failpoint('write:chain-files-written');
  return out;
}

/** snapshot.json's format-2 fields. */
export function chainMeta(chain: PreparedChain, counts: ArchiveCounts): Partial<SnapshotMeta> {
  return {
    formatVersion: 2, kind: chain.kind, ...(chain.base ? { base: chain.base } : {}),
    chain: chain.links.map((l) => l.id), carried: counts.carried,
    ...(counts.delta.files ? { delta: { files: counts.delta.files, bytes: counts.delta.bytes } } : {}),
    ...(counts.deltaMembers ? { deltaMembers: true } : {}),
  };
}
