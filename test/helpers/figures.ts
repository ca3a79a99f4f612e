// Fault-suite figures: each scenario records what it ran and what it found, both on stdout
// and as JSON in fault-results/ (read by test/faults/report.mjs after `npm run test:faults`).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const FIGURES_DIR = resolve(import.meta.dirname, '../../fault-results');

export function recordFigures(scenario: string, figures: Record<string, unknown>): void {
  mkdirSync(FIGURES_DIR, { recursive: true });
  writeFileSync(join(FIGURES_DIR, `${scenario}.json`), JSON.stringify({ scenario, at: new Date().toISOString(), ...figures }, null, 2) + '\n');
  console.log(`[faults] ${scenario}: ${JSON.stringify(figures)}`);
}
