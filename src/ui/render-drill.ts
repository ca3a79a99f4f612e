// `airgap drill` in words: which drive and snapshot, how many files were restored and checked,
// each file that failed by name (escaped: paths come from the drive), the verdict, and the
// command that repeats the same drill (its seed).
import { plural } from '../core/plural.js';
import type { DrillResult } from '../jobs/drill.js';
import { bytes, displayText as t } from './render.js';

/** Failures named on the terminal; --json has every one. */
const MAX_SHOWN = 50;

export function renderDrill(r: DrillResult, spec: string | undefined): string {
  const out: string[] = [];
  if (r.why) out.push(`note: drilling drive ${t(r.drive)}: ${t(r.why)}`);
  out.push(`Restore drill of drive ${t(r.drive)}: snapshot ${t(r.snapshot)} (drawn from ${plural(r.snapshotsEligible, 'snapshot')} a restore could take${r.encrypted ? '; encrypted' : ''}), seed ${r.seed}`);
  out.push(`  sample: ${plural(r.sample.files, 'file')}, ${bytes(r.sample.bytes)} of ${plural(r.of.files, 'file')}, ${bytes(r.of.bytes)}; ${r.checked} restored and checked against their SHA-256`);
  if (r.problem) out.push(`  PROBLEM: ${t(r.problem)}`);
  for (const f of r.failures.slice(0, MAX_SHOWN)) out.push(`  FAILED ${t(JSON.stringify(f.path))}: ${t(f.reason)}`);
  if (r.failures.length > MAX_SHOWN) out.push(`  … and ${r.failures.length - MAX_SHOWN} more (see --json)`);
  out.push(r.workspace.removed ? `  restored into a temporary folder, removed again` : `  warning: the temporary folder ${t(r.workspace.path)} could not be removed: delete it by hand`);
  const again = `airgap drill ${spec !== undefined ? `${t(spec)} ` : ''}--seed ${r.seed}`;
  if (r.ok) out.push(`OK: every file of the sample came back as it was backed up. (${again} repeats this drill)`);
  else {
    const bad = r.failures.length ? `${plural(r.failures.length, 'file')} of ${r.sample.files} did not come back as backed up` : 'the snapshot did not restore';
    out.push(`DRILL FAILED: ${bad}. Check the drive: airgap verify ${t(r.drive)} --deep, and restore what you need from another drive. (${again} repeats this drill)`);
  }
  return out.join('\n') + '\n';
}
