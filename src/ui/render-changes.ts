// The change report (backup gate and `airgap diff`): figures first, then where and examples.
import type { ChangeReport, GateVerdict } from '../core/change-analysis.js';
import { bytes, displayText } from './render.js';

export function renderChanges(r: ChangeReport, title: string, verdict?: GateVerdict): string {
  const pct = (n: number) => (r.oldFiles ? ` (${Math.round((n / r.oldFiles) * 100)} %)` : '');
  const out = [
    title,
    `  files before ${r.oldFiles}, now ${r.newFiles}`,
    `  added ${r.added} (${bytes(r.bytes.added)}), deleted ${r.deleted}${pct(r.deleted)} (${bytes(r.bytes.deleted)}), modified ${r.modified}${pct(r.modified)} (${bytes(r.bytes.modified)}), renamed ${r.renamed}`,
  ];
  if (r.sampled) out.push(`  modified files that now look encrypted: ${r.encrypted} of ${r.sampled} sampled`);
  if (r.newExtensions.length) out.push(`  new extensions: ${r.newExtensions.map((e) => `.${e.ext} (${e.files})`).join(', ')}`);
  if (r.ransomNotes.length) out.push(`  identical new small files in many folders (ransom notes?): ${r.ransomNotes.map((n) => `${n.name} in ${n.folders} folders`).join(', ')}`);
  if (r.topFolders.length) out.push(`  most changes in: ${r.topFolders.map((f) => `${f.folder} (${f.changes})`).join(', ')}`);
  const ex = (label: string, list: string[]) => list.length && out.push(`  e.g. ${label}: ${list.slice(0, 3).map((p) => JSON.stringify(p)).join(', ')}`);
  ex('encrypted-looking', r.examples.encrypted);
  ex('modified', r.examples.modified);
  ex('deleted', r.examples.deleted);
  ex('added', r.examples.added);
  if (verdict) {
    if (verdict.trip) for (const reason of verdict.reasons) out.push(`  SUSPECT: ${reason}`);
    else out.push(`  verdict: ${verdict.reasons[0] ?? 'looks like ordinary changes'}`);
  }
  // Names, folders and paths come from manifests and sources: each line escaped for the terminal.
  return out.map(displayText).join('\n') + '\n';
}
