// The verdicts as the page shows them: one section per snapshot (OK, DAMAGED or INCOMPLETE),
// one row per file SHA256SUMS lists (OK, DAMAGED or MISSING), by name. Every name comes from
// the drive, which is untrusted: text only (textContent), never markup.
import type { SnapshotResult } from './check-snapshot.js';

const el = <K extends keyof HTMLElementTagNameMap>(tag: K, text?: string, cls?: string): HTMLElementTagNameMap[K] => {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = text;
  if (cls) e.className = cls;
  return e;
};

export function snapshotSection(r: SnapshotResult): HTMLElement {
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
  return s;
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
export function summaryText(results: SnapshotResult[]): { ok: boolean; text: string } {
  const bad = results.filter((r) => r.verdict !== 'OK');
  const n = (k: number, w: string) => `${k} ${w}${k === 1 ? '' : 's'}`;
  if (results.length === 0) return { ok: false, text: 'No snapshots found in this folder.' };
  if (bad.length === 0) return { ok: true, text: `OK: ${n(results.length, 'snapshot')} verified, every file matches SHA256SUMS and the chain is whole.` };
  return { ok: false, text: `DAMAGED: ${n(bad.length, 'snapshot')} of ${results.length} not OK (${bad.map((r) => `${r.id} ${r.verdict}`).join(', ')}). Do not rely on them; see below.` };
}
