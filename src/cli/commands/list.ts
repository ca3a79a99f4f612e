import { EXIT } from '../../core/errors.js';
import type { ResolvedDrive } from '../../drives/resolve.js';
import { describeUnknown, readDriveContents, summarizeSnapshots, twinMessage } from '../../layout/drive-contents.js';
import { displayText, renderList, type ListRow } from '../../ui/render.js';
import type { Context } from '../context.js';
import { detect } from '../drive-lookup.js';
import { findDrive } from '../find-drive.js';
import { printJson } from '../output.js';

export async function listCommand(ctx: Context, spec: string | undefined): Promise<number> {
  const drives: ResolvedDrive[] = [];
  if (spec) drives.push(await findDrive(ctx, spec));
  else {
    const found = await detect(ctx);
    for (const d of found.labelled) drives.push({ root: d.root, airgapDir: d.airgapDir, identity: d.identity });
    // A drive with a damaged identity file is not listed, but never silently: say why.
    for (const w of found.warnings) ctx.stderr.write(`warning: ${displayText(w)}\n`);
    if (drives.length === 0 && !ctx.json) {
      ctx.stdout.write(found.damaged?.length
        ? `No usable airgap drive is connected (${found.damaged.length} with a damaged identity file: see the warning above).\n`
        : 'No airgap drive is connected. Label one with `airgap label <path> --name <NAME>`.\n');
    }
  }
  const out = [];
  for (const d of drives) {
    const { leftovers, unknown, twins } = await readDriveContents(d.airgapDir);
    const rows: ListRow[] = (await summarizeSnapshots(d.airgapDir)).map((s) => {
      const row: ListRow = { id: s.id, state: s.state };
      if (s.state === 'complete') Object.assign(row, { createdAt: s.createdAt, files: s.files, bytes: s.bytes, problems: s.problems });
      if (s.state === 'incomplete') row.note = 'no SHA256SUMS: unfinished or partly copied';
      if (s.state === 'damaged') row.note = 'snapshot.json unreadable; run airgap verify';
      if (s.problems) row.note = `${s.problems} path(s) skipped or changed during backup`;
      return row;
    });
    // Links and unknown entries under airgap/ are not snapshots: listed as such, never followed.
    const warnings = [...unknown.map(describeUnknown), ...twins.map(twinMessage)];
    out.push({ drive: { id: d.identity.id, name: d.identity.name, path: d.root }, snapshots: rows, leftovers, unknown, twins });
    if (!ctx.json) ctx.stdout.write(renderList({ name: d.identity.name, path: d.root }, rows, leftovers.filter((l) => !twins.includes(l)), warnings));
  }
  if (ctx.json) printJson(ctx, spec ? out[0] : out);
  return EXIT.ok;
}
