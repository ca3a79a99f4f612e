// `airgap health` in words: the disk, SMART's overall verdict, each failure counter (with the
// previous reading's value when there is one), the judgement and what to do about it.
import { COUNTER_WORDS, decodeSmartExit, type CounterName } from '../core/smart-report.js';
import type { HealthResult } from '../jobs/health.js';
import { displayText } from './render.js';

const VERDICT = { ok: 'OK', warning: 'MAY BE FAILING', failing: 'FAILING' } as const;

export function renderHealth(r: HealthResult): string {
  const x = r.reading;
  const lines = [`Drive ${r.drive.name}: ${r.device} (smartctl${x.type === 'auto' ? '' : ` -d ${x.type}`})${x.model ? `, ${x.model}` : ''}${x.serial ? `, serial ${x.serial}` : ''}`];
  lines.push(`  SMART overall health: ${x.passed === undefined ? 'not reported' : x.passed ? 'PASSED' : 'FAILED'}`);
  for (const [name, value] of Object.entries(x.counters) as [CounterName, number][]) {
    const before = r.previous?.counters[name];
    lines.push(`  ${COUNTER_WORDS[name]}: ${name === 'criticalWarning' ? `0x${value.toString(16)}` : value}${before !== undefined && before !== value ? ` (was ${before} on ${r.previous!.at.slice(0, 10)})` : ''}`);
  }
  const bits = decodeSmartExit(x.exit).bits;
  if (bits.length) lines.push(`  smartctl exit ${x.exit}: ${bits.map((b) => `bit ${b.bit}, ${b.meaning}`).join('; ')}`);
  lines.push(`Health: ${VERDICT[r.judgement.verdict]}`);
  for (const p of r.judgement.problems) lines.push(`  ${p}`);
  if (r.judgement.verdict !== 'ok') lines.push(`  copy its role to a new drive before it fails: airgap replace ${r.drive.name} <new-drive>`);
  for (const n of r.judgement.notes) lines.push(`note: ${n}`);
  if (!r.recorded) lines.push('note: not recorded in the catalog (the drive claims a name another drive holds)');
  return lines.map((l) => `${displayText(l)}\n`).join('');
}
