// The list job: the snapshots on one drive, or on every connected drive, with what else sits in
// airgap/ (unfinished runs, links and unknown entries, which are never followed).
import type { ResolvedDrive } from '../drives/resolve.js';
import { describeUnknown, readDriveContents, summarizeSnapshots, twinMessage, type UnknownEntry } from '../layout/drive-contents.js';
import { detect } from './drive-lookup.js';
import { runInProgress } from '../layout/drive-lock.js';
import type { RunInProgress } from '../core/status-model.js';
import { findDrive } from './find-drive.js';
import { checkBinding, foreignReason, impostorHint } from '../drives/binding.js';
import type { Session } from './session.js';
import { hostDecisions, markOf, type HostDecisions } from './suspects.js';
import { plural } from '../core/plural.js';

export interface ListRow {
  id: string;
  state: 'complete' | 'incomplete' | 'damaged';
  createdAt?: string;
  files?: number;
  bytes?: number;
  problems?: number;
  /** Format 2: full or incremental (on `base`). */
  kind?: 'full' | 'incremental';
  base?: string;
  /** The mass-change gate flagged it and nobody accepted it (snapshot.json, or this host's catalog). */
  suspect?: boolean;
  /** SUSPECT, and its owner rejected it as evidence on this host (airgap reject): the question is answered. */
  rejected?: boolean;
  note?: string;
}

export interface ListedDrive {
  drive: { id: string; name: string; path: string };
  snapshots: ListRow[];
  leftovers: string[];
  /** The airgap run holding the drive's lock now, when there are leftovers: they are its work. */
  inProgress?: RunInProgress;
  unknown: UnknownEntry[];
  twins: string[];
  /** It carries a rotation name but is not the drive bound to it (issue 17 §3). */
  foreign?: boolean;
  /** The links, unknown entries and twins above, in words. */
  warnings: string[];
}

export async function listDrive(s: Session, spec: string): Promise<ListedDrive> {
  return listOne(await findDrive(s, spec), await hostDecisions(s));
}

/** Every connected airgap drive; `damaged`: drives left out because their identity file is damaged (warned about). */
export async function listConnected(s: Session): Promise<{ drives: ListedDrive[]; damaged: number }> {
  const found = await detect(s);
  // A drive with a damaged identity file is not listed, but never silently: say why.
  for (const w of found.warnings) s.log.warn(w);
  const drives: ListedDrive[] = [];
  const decisions = await hostDecisions(s);
  const catalog = await s.catalog();
  const rotation = await s.rotation();
  for (const d of found.labelled) {
    const listed = await listOne({ root: d.root, airgapDir: d.airgapDir, identity: d.identity }, decisions);
    // A foreign drive is listed (reading it is safe), never as your drive of that name.
    const b = checkBinding(d.identity, catalog, rotation);
    if (b.status === 'impostor') {
      listed.foreign = true;
      listed.warnings.unshift(`foreign: not your drive ${d.identity.name}: ${foreignReason(d.identity.name, b)}; airgap will not write to it nor count it as a copy (${impostorHint(d.identity, d.root, b)})`);
    }
    drives.push(listed);
  }
  return { drives, damaged: found.damaged?.length ?? 0 };
}

/** One drive already found (the wizard's connected drive): what `airgap list` says of it. */
export async function listFound(s: Session, d: ResolvedDrive): Promise<ListedDrive> {
  return listOne(d, await hostDecisions(s));
}

async function listOne(d: ResolvedDrive, decisions: HostDecisions): Promise<ListedDrive> {
  const { leftovers, unknown, twins } = await readDriveContents(d.airgapDir);
  const rows: ListRow[] = (await summarizeSnapshots(d.airgapDir)).map((x) => {
    const row: ListRow = { id: x.id, state: x.state };
    if (x.state === 'complete') Object.assign(row, { createdAt: x.createdAt, files: x.files, bytes: x.bytes, problems: x.problems });
    if (x.kind) Object.assign(row, { kind: x.kind, ...(x.base !== undefined ? { base: x.base } : {}) });
    if (x.kind) row.note = x.kind === 'full' ? 'full (format 2)' : `increment on ${x.base}`;
    if (x.state === 'incomplete') row.note = 'no SHA256SUMS: unfinished or partly copied';
    if (x.state === 'damaged') row.note = 'snapshot.json unreadable; run airgap verify';
    if (x.problems) row.note = `${row.note ? `${row.note}; ` : ''}${plural(x.problems, 'path')} skipped or changed during backup`;
    const mark = markOf(x.suspect === true, d.identity.id, x.id, decisions);
    if (mark) {
      row.suspect = true;
      if (mark === 'rejected') row.rejected = true;
      const said = mark === 'rejected' ? 'SUSPECT (rejected): kept as evidence of mass changes' : 'SUSPECT: mass changes, not accepted';
      row.note = `${said} (restore skips it unless named)${row.note ? `; ${row.note}` : ''}`;
    }
    return row;
  });
  const run = leftovers.length ? await runInProgress(d.airgapDir) : undefined;
  return { drive: { id: d.identity.id, name: d.identity.name, path: d.root }, snapshots: rows, leftovers, ...(run ? { inProgress: run } : {}), unknown, twins, warnings: [...unknown.map(describeUnknown), ...twins.map(twinMessage)] };
}
