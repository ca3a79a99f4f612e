// Prints the figures the fault suite recorded in fault-results/*.json as one table.
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

const dir = resolve(import.meta.dirname, '../../fault-results');
if (!existsSync(dir)) {
  console.log('no fault figures recorded (fault-results/ is missing)');
  process.exit(0);
}
console.log('\nFault suite figures (fault-results/*.json)\n');
for (const f of readdirSync(dir).filter((n) => n.endsWith('.json')).sort()) {
  const { scenario, at, ...figures } = JSON.parse(readFileSync(join(dir, f), 'utf8'));
  console.log(`${scenario}  (${at})`);
  for (const [k, v] of Object.entries(figures)) console.log(`  ${k}: ${typeof v === 'object' ? JSON.stringify(v) : v}`);
}
