// The verdicts as the page shows them: one section per snapshot (OK, DAMAGED or INCOMPLETE),
// one row per file SHA256SUMS lists (OK, DAMAGED or MISSING), by name. Every name comes from
// the drive, which is untrusted: text only (textContent), never markup.
import type { SnapshotResult } from './check-snapshot.js';
import type { DeepResult } from './deep-drive.js';

const el = <K extends keyof HTMLElementTagNameMap>(tag: K, text?: string, cls?: string): HTMLElementTagNameMap[K] => {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = text;
  if (cls) e.className = cls;
  return e;
};

export function snapshotSection(r: SnapshotResult, deep?: DeepResult): HTMLElement {
  const s = el('section', undefined, 'snapshot');
  s.dataset.snapshot = r.id;
  s.dataset.verdict = r.verdict;
  const h = el('h2');
  h.append(el('span', r.verdict, `verdict v-${r.verdict.toLowerCase()}`), ` ${r.id}`);
  if (r.meta?.kind) h.append(el('small', ` ${r.meta.kind}`));
  s.append(h);
  if (r.encrypted) s.append(el('p', 'Encrypted: every stored file was checked against SHA256SUMS (no key needed). Checking the content inside needs the passphrase and airgap: airgap verify --deep.', 'note'));
  const notes = el('ul', undefined, 'findings');
  for (const p of r.problems) notes.append(el('li', p, 'problem'));
  for (const w of r.warnings) notes.append(el('li', w, 'warning'));
  if (notes.childElementCount) s.append(notes);
  if (r.files.length) s.append(fileTable(r));
  if (deep) s.append(deepPart(deep));
  return s;
}

/** The member verdict a deep finding's code gives (the CLI's codes, kept in data-code for the tests). */
const MEMBER_VERDICT: Record<string, string> = { 'member-missing': 'MISSING', 'member-unlisted': 'UNLISTED' };

/** Deep mode: each member not as MANIFEST says, by name; what the walk could not check; later files hit by damage here. */
function deepPart(d: DeepResult): HTMLElement {
  const div = el('div', undefined, 'deep');
  if (d.notWalked) {
    div.append(el('p', `Deep check not done: ${d.notWalked}.`, 'note'));
    return div;
  }
  div.dataset.checked = String(d.checked);
  const bad = d.findings.filter((f) => f.member !== undefined);
  div.append(el('h3', `Deep check: ${d.checked} tarball member${d.checked === 1 ? '' : 's'} read and compared with the manifest${bad.length || d.unchecked.length ? '' : ', every one as it says'}`));
  const notes = el('ul', undefined, 'findings');
  for (const f of d.findings.filter((x) => x.member === undefined)) {
    const li = el('li', f.message, 'problem');
    li.dataset.code = f.code;
    notes.append(li);
  }
  if (notes.childElementCount) div.append(notes);
  const t = el('table', undefined, 'members');
  for (const f of bad) {
    const row = el('tr');
    row.dataset.member = f.member!;
    row.dataset.code = f.code;
    row.dataset.verdict = MEMBER_VERDICT[f.code] ?? 'DAMAGED';
    row.append(el('td', row.dataset.verdict, 'verdict v-damaged'), el('td', f.member!, 'name'), el('td', f.message, 'why'));
    t.append(row);
  }
  for (const path of d.unchecked) {
    const row = el('tr');
    row.dataset.member = path;
    row.dataset.verdict = 'UNCHECKED';
    row.append(el('td', 'UNCHECKED', 'verdict v-unchecked'), el('td', path, 'name'),
      el('td', 'a large file stored as its changed blocks: only airgap verify --deep rebuilds and checks it', 'why'));
    t.append(row);
  }
  if (t.childElementCount) div.append(t);
  if (d.dependantFiles !== undefined) {
    const n = d.dependantFilesTotal ?? 0;
    div.append(el('p', n ? `${n} file${n === 1 ? '' : 's'} of later snapshots ${n === 1 ? 'has its' : 'have their'} content in what is damaged here${n > d.dependantFiles.length ? ` (the first ${d.dependantFiles.length} below)` : ''}:` : 'No file of a later snapshot has its content in what is damaged here.', 'note'));
    const ul = el('ul', undefined, 'dependants');
    for (const f of d.dependantFiles) {
      const li = el('li', `${f.snapshot}: ${f.path}`);
      li.dataset.snapshot = f.snapshot;
      li.dataset.path = f.path;
      ul.append(li);
    }
    if (ul.childElementCount) div.append(ul);
  }
  return div;
}

function fileTable(r: SnapshotResult): HTMLTableElement {
  const t = el('table');
  for (const f of r.files) {
    const row = el('tr');
    row.dataset.file = f.name;
    row.dataset.verdict = f.verdict;
    row.append(el('td', f.verdict, `verdict v-${f.verdict.toLowerCase()}`), el('td', f.name, 'name'), el('td', f.why ?? '', 'why'));
    t.append(row);
  }
  return t;
}

/** One line for the whole drive: OK only when every snapshot is. */
export function summaryText(results: SnapshotResult[], deep = false): { verdict: 'OK' | 'UNCHECKED' | 'DAMAGED'; text: string } {
  const ok = (r: SnapshotResult) => r.verdict === 'OK' || r.verdict === 'UNCHECKED';
  const bad = results.filter((r) => !ok(r));
  const partly = results.filter((r) => r.verdict === 'UNCHECKED');
  const n = (k: number, w: string) => `${k} ${w}${k === 1 ? '' : 's'}`;
  if (results.length === 0) return { verdict: 'DAMAGED', text: 'No snapshots found in this folder.' };
  const what = deep ? 'every file matches SHA256SUMS, every member of the plain tarballs matches its manifest,' : 'every file matches SHA256SUMS';
  if (bad.length === 0 && partly.length === 0) return { verdict: 'OK', text: `OK: ${n(results.length, 'snapshot')} verified, ${what} and the chain is whole.` };
  if (bad.length === 0) return { verdict: 'UNCHECKED', text: `No damage found, but not all checked: ${partly.map((r) => r.id).join(', ')} ${partly.length === 1 ? 'holds' : 'hold'} files this page cannot check (marked UNCHECKED below): run airgap verify --deep.` };
  return { verdict: 'DAMAGED', text: `DAMAGED: ${n(bad.length, 'snapshot')} of ${results.length} not OK (${bad.map((r) => `${r.id} ${r.verdict}`).join(', ')}). Do not rely on them; see below.` };
}
