import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { EXIT } from '../../core/errors.js';
import { SNAPSHOT_JSON, snapshotMetaSchema } from '../../core/format.js';
import type { ResolvedDrive } from '../../drives/resolve.js';
import { detect } from '../drive-lookup.js';
import { readDriveContents, type SnapshotFolder } from '../../snapshot/drive-contents.js';
import { renderList, type ListRow } from '../../ui/render.js';
import type { Context } from '../context.js';
import { findDrive, printJson } from '../shared.js';

export async function listCommand(ctx: Context, spec: string | undefined): Promise<number> {
  const drives: ResolvedDrive[] = [];
  if (spec) drives.push(await findDrive(ctx, spec));
  else {
    // Every connected airgap drive.
    for (const d of (await detect(ctx)).labelled) drives.push({ root: d.root, airgapDir: d.airgapDir, identity: d.identity });
    if (drives.length === 0 && !ctx.json) ctx.stdout.write('No airgap drive is connected. Label one with `airgap label <path> --name <NAME>`.\n');
  }
  const out = [];
  for (const d of drives) {
    const { snapshots, leftovers } = await readDriveContents(d.airgapDir);
    const rows = await Promise.all(snapshots.map(describe));
    out.push({ drive: { id: d.identity.id, name: d.identity.name, path: d.root }, snapshots: rows, leftovers });
    if (!ctx.json) ctx.stdout.write(renderList({ name: d.identity.name, path: d.root }, rows, leftovers));
  }
  if (ctx.json) printJson(ctx, spec ? out[0] : out);
  return EXIT.ok;
}

/** Cheap facts from snapshot.json; `verify` is what proves a snapshot sound. */
async function describe(s: SnapshotFolder): Promise<ListRow> {
  if (!s.complete) return { id: s.id, state: 'incomplete', note: 'no SHA256SUMS: unfinished or partly copied' };
  try {
    const meta = snapshotMetaSchema.parse(JSON.parse(await readFile(join(s.dir, SNAPSHOT_JSON), 'utf8')));
    const row: ListRow = { id: s.id, state: 'complete', createdAt: meta.createdAt, files: meta.counts.files, bytes: meta.bytes.content, problems: meta.counts.problems };
    if (meta.counts.problems > 0) row.note = `${meta.counts.problems} path(s) skipped or changed during backup`;
    return row;
  } catch {
    return { id: s.id, state: 'damaged', note: `${SNAPSHOT_JSON} unreadable; run airgap verify` };
  }
}
