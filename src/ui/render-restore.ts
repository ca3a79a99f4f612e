import { bytes, displayText as t } from './render.js';
import { plural } from '../core/plural.js';

interface RestoreView {
  snapshot: string;
  target: string;
  verified: 'ok' | 'damaged';
  planned?: {
    files: number; bytes: number; conflicts: string[]; conflictCount: number; blocked: { path: string; reason: string }[];
    tarballs?: { snapshot: string; files: number; bytes: number; tarball?: string; index?: string }[];
    sources?: { path: string; snapshot: string; offset: number; blocksIn?: string[] }[];
  };
  alsoRestored: string[];
  /** Newer snapshots passed over because they are SUSPECT, newest first. */
  skippedSuspects?: string[];
  fromAny?: { drive: string; snapshot: string; why: string; passedOver: { drive: string; snapshot?: string; reason: string }[] };
  report?: {
    files: number; dirs: number; symlinks: number; hardlinks: number; bytes: number;
    damaged: { path: string; reason: string }[];
    refused: { path: string; reason: string }[];
    kept: { path: string; reason: string }[];
    missing: { path: string; reason: string }[];
    selectedFiles: number;
    outsideLinks: { path: string; target: string }[];
    brokenAt?: { offset: number; message: string; endsEarly?: boolean; snapshot?: string };
  };
}

const list = (title: string, items: { path: string; reason: string }[], limit = 20) =>
  items.length ? [`${title} (${items.length}):`, ...items.slice(0, limit).map((i) => `  ${t(JSON.stringify(i.path))}: ${t(i.reason)}`), ...(items.length > limit ? [`  … and ${items.length - limit} more (see --json)`] : [])] : [];

/** The restore summary: what came back, what did not and why. */
export function renderRestore(view: RestoreView, drive: string): string {
  // Paths and messages from the archive and its manifest: escaped (t) before they reach the terminal.
  const v = { ...view, snapshot: t(view.snapshot), target: t(view.target), alsoRestored: view.alsoRestored.map(t) };
  return fromAnyNote(view.fromAny) + suspectNote(view.skippedSuspects, v.snapshot) + renderBody(v, drive, view.snapshot);
}

/** --from-any: which drive and snapshot it took and why, and every copy it passed over. */
function fromAnyNote(c: RestoreView['fromAny']): string {
  if (!c) return '';
  return [`note: --from-any took snapshot ${t(c.snapshot)} from drive ${t(c.drive)}: ${t(c.why)}`,
    ...c.passedOver.map((p) => p.snapshot !== undefined ? `note: passed over drive ${t(p.drive)}'s copy of ${t(p.snapshot)}: ${t(p.reason)}` : `note: drive ${t(p.drive)} has no copy to take: ${t(p.reason)}`)].join('\n') + '\n';
}

/** Why the newest snapshot was not the one taken: it is SUSPECT (core/restore-choice.ts). */
function suspectNote(skipped: string[] | undefined, taken: string): string {
  if (!skipped?.length) return '';
  const ids = skipped.map(t);
  return `note: took ${taken}, the newest snapshot that is not SUSPECT. Passed over: ${ids.join(', ')} (SUSPECT: mass changes that look like ransomware or a broken sync). To restore one of them anyway, name it: --snapshot ${ids[0]}\n`;
}

/** `self`: the snapshot's id as it is (v's fields are escaped for the terminal). */
function renderBody(v: RestoreView, drive: string, self: string): string {
  if (v.planned) {
    const p = v.planned;
    return [`Dry run: restoring snapshot ${v.snapshot} from drive ${drive} into ${v.target} would write ${plural(p.files, 'file')} (${bytes(p.bytes)}).${p.conflictCount ? ` It would replace ${plural(p.conflictCount, 'path')} that already ${p.conflictCount === 1 ? 'exists' : 'exist'} there (--overwrite).` : ''} Nothing was written.`,
      ...p.conflicts.slice(0, 20).map((c) => `  replaces ${t(JSON.stringify(c))}`), ...(p.conflictCount > 20 ? [`  and ${p.conflictCount - 20} more`] : []),
      ...tarballLines(p.tarballs, p.sources, self),
      ...list('WOULD BE LEFT AS IT IS in the target, not restored', p.blocked)].join('\n') + '\n';
  }
  const r = v.report!;
  const out = [`Restored snapshot ${v.snapshot} from drive ${drive} into ${v.target}${v.verified === 'damaged' ? ' (SALVAGE: the snapshot is damaged)' : ''}`,
    `  ${plural(r.files, 'file')} (${bytes(r.bytes)}), ${plural(r.dirs, 'folder')}, ${plural(r.symlinks, 'symlink')}, ${plural(r.hardlinks, 'hard link')}; every file checked against its SHA-256`];
  if (v.alsoRestored.length) out.push(`  also restored, as the first copy of a selected hard link: ${v.alsoRestored.join(', ')}`);
  // Format 2: which tarball of the chain broke (its own, or an earlier snapshot's).
  const archive = r.brokenAt?.snapshot !== undefined && r.brokenAt.snapshot !== self ? `the tarball of snapshot ${t(r.brokenAt.snapshot)}` : 'the archive';
  if (r.brokenAt?.endsEarly) out.push(`DAMAGE: ${archive === 'the archive' ? '' : `${archive}: `}${t(r.brokenAt.message)}: nothing after it was restored`);
  else if (r.brokenAt) out.push(`DAMAGE: ${archive} is unreadable from byte ${r.brokenAt.offset} (${t(r.brokenAt.message)}): nothing after it was restored`);
  if (r.files < r.selectedFiles) out.push(`  ${r.files} of the ${r.selectedFiles} selected file${r.selectedFiles === 1 ? ' was' : 's were'} restored`);
  out.push(...list('DAMAGED, not restored', r.damaged), ...list('REFUSED as unsafe, not restored', r.refused),
    ...list('MISSING from the archive, not restored', r.missing), ...list('LEFT AS IT WAS in the target, not restored', r.kept));
  if (r.outsideLinks.length) out.push(`note: ${plural(r.outsideLinks.length, 'symlink')} ${r.outsideLinks.length === 1 ? 'points' : 'point'} outside the restored folder (restored as links, never followed), e.g. ${t(r.outsideLinks[0]!.path)} -> ${t(r.outsideLinks[0]!.target)}`);
  if (r.damaged.length || r.refused.length || r.missing.length || r.kept.length || r.brokenAt) {
    out.push(`Summary: restored ${r.files}, damaged ${r.damaged.length}, refused ${r.refused.length}, missing ${r.missing.length}, left as it was ${r.kept.length}.` +
      (r.damaged.length || r.refused.length || r.missing.length || r.brokenAt ? ' Take the missing files from another drive (airgap find <drive> <name> --all-snapshots).' : '') +
      (r.kept.length ? ' Move aside what was left in the target, then restore those paths again.' : ''));
  }
  return out.join('\n') + '\n';
}

/** Format 2 and 3: which tarballs a restore reads (a file's content may be in an earlier snapshot's), and for a few files where each one is. */
function tarballLines(tarballs: NonNullable<NonNullable<RestoreView['planned']>['tarballs']> | undefined, sources: { path: string; snapshot: string; offset: number; blocksIn?: string[] }[] | undefined, self: string): string[] {
  if (!tarballs) return [];
  const name = (id: string) => (id === self ? `${t(id)} (its own)` : t(id));
  // Format 3: the stored file is `<ID>.tar.gz` (and its index); offsets count in the tar it inflates to.
  const stored = (x: (typeof tarballs)[number]) => (x.tarball ? ` (${t(x.tarball)}, through its index ${t(x.index ?? '')})` : '');
  const compressed = new Set(tarballs.filter((x) => x.tarball).map((x) => x.snapshot));
  const out = [`It reads the tarball${tarballs.length === 1 ? '' : 's'} of ${tarballs.map((x) => `${name(x.snapshot)}${stored(x)}: ${x.files} file${x.files === 1 ? '' : 's'} (${bytes(x.bytes)})`).join('; ')}.`];
  if (sources && sources.length <= 20) out.push(...sources.map((x) => `  ${t(JSON.stringify(x.path))}: in the tarball of ${name(x.snapshot)}, at byte ${x.offset}${compressed.has(x.snapshot) ? ' of its tar' : ''}${x.blocksIn?.length ? `; its changed blocks in the tarballs of ${x.blocksIn.map(name).join(', ')}` : ''}`));
  return out;
}
