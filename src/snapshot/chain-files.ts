// Format 2's own files in a snapshot folder (docs/FORMAT.md): REMOVE.nul and RESTORE.txt,
// written and fsynced before snapshot.json (so SHA256SUMS, written last, covers them), and
// snapshot.json's chain fields.
import { join } from 'node:path';
import { formatNulList } from '../core/chain-restore.js';
import { encryptBuffer } from '../crypto/age-file.js';
import type { AgeRecipient } from '../crypto/age-keys.js';
import { createFileSynced } from '../io/durable.js';
import { failpoint } from '../io/failpoint.js';
import { sha256Hex } from '../io/sha256.js';
import { sealedName, type SnapshotFormat, type SnapshotMeta } from '../layout/format.js';
import { REMOVE_FILE, RESTORE_FILE, restoreText } from '../layout/restore-text.js';
import type { SumLine } from '../layout/sha256sums.js';
import type { ArchiveCounts } from './archive.js';
import type { PreparedChain } from './prepare-snapshot.js';

/**
 * Format 2's REMOVE.nul and RESTORE.txt (written and fsynced before snapshot.json), for
 * SHA256SUMS. Encrypted (`recipients`): REMOVE.nul.age, since it names files; RESTORE.txt stays
 * plain (it names only snapshot ids), and says how to decrypt.
 */
export async function writeChainFiles(partial: string, chain: PreparedChain, ownParts: boolean, counts: ArchiveCounts, recipients?: AgeRecipient[], driveKey = false, compressed = false): Promise<SumLine[]> {
  const links = chain.links.map((l, i) => (i === chain.links.length - 1 ? { ...l, parts: ownParts, deltaMembers: counts.deltaMembers } : l));
  const sealed = recipients !== undefined;
  const removal = Buffer.from(formatNulList(chain.removal));
  const files: [string, Buffer][] = [
    [sealedName(REMOVE_FILE, sealed), recipients ? await encryptBuffer(removal, recipients) : removal],
    [RESTORE_FILE, Buffer.from(restoreText(links, counts.deltaFiles, sealed ? { driveKey } : undefined, compressed))],
  ];
  const out: SumLine[] = [];
  for (const [name, bytes] of files) {
    await createFileSynced(join(partial, name), bytes);
    out.push({ sha256: sha256Hex(bytes), name });
  }
  failpoint('write:chain-files-written');
  return out;
}

/** snapshot.json's format-2 fields (format 3 has the same ones: a chain never mixes formats). */
export function chainMeta(chain: PreparedChain, counts: ArchiveCounts, format: SnapshotFormat): Partial<SnapshotMeta> {
  return {
    formatVersion: format, kind: chain.kind, ...(chain.base ? { base: chain.base } : {}),
    chain: chain.links.map((l) => l.id), carried: counts.carried,
    ...(counts.delta.files ? { delta: { files: counts.delta.files, bytes: counts.delta.bytes } } : {}),
    ...(counts.deltaMembers ? { deltaMembers: true } : {}),
  };
}
