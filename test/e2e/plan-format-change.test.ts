// `airgap plan` after the config's "format" changes: the backup starts a new full (a chain never
// mixes formats, core/chains.ts), so the plan must say a new full and size it as one, not guess
// an increment from the old chain's. The catalog learns each snapshot's format from its
// snapshot.json when the drive is seen (layout/drive-contents.ts summarizeSnapshots).
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labelledDrive, makeSandbox, runChecked, type Sandbox } from '../helpers/cli.js';

let sb: Sandbox;
let src: string;
const configPath = () => join(sb.env.XDG_CONFIG_HOME!, 'airgap', 'config.json');
const on = (day: number) => ({ AIRGAP_NOW: `2026-06-${String(day).padStart(2, '0')}T10:00:00Z`, TZ: 'UTC', AIRGAP_RACY_SECONDS: '0' });

beforeAll(async () => {
  sb = await makeSandbox();
  src = join(sb.dir, 'src');
  await mkdir(src);
  for (let i = 0; i < 20; i++) await writeFile(join(src, `f${i}.txt`), `file ${i} `.repeat(2000));
});
afterAll(() => sb.cleanup());

describe('plan after a change of format', () => {
  it('format 2 chain, config changed to 3: the plan says a new full, the backup writes one', async () => {
    expect((await runChecked(sb, ['init', '--source', src, '--drives', 'A', '--cadence', 'daily', '--yes'], on(1))).code).toBe(0);
    await labelledDrive(sb, 'A');
    for (const day of [1, 2]) {
      await writeFile(join(src, `day${day}.txt`), `day ${day}\n`);
      const b = await runChecked(sb, ['backup', '--drive', 'A', '--json'], on(day));
      expect(b.code, b.stderr).toBe(0);
      expect(JSON.parse(b.stdout).meta.formatVersion).toBe(2);
    }
    const same = await runChecked(sb, ['plan'], on(3));
    expect(same.code, same.stderr).toBe(0);
    expect(same.stdout).toMatch(/^Size: about [\d.]+ [kM]?B \(an increment: what changed since A's last snapshot, about as large as the recent ones\)/m);

    const config = JSON.parse(await readFile(configPath(), 'utf8'));
    await writeFile(configPath(), JSON.stringify({ ...config, format: 3 }, null, 2));
    const changed = await runChecked(sb, ['plan'], on(3));
    expect(changed.code, changed.stderr).toBe(0);
    expect(changed.stdout).toMatch(/^Size: about [\d.]+ [kM]?B \(a new full\)/m);

    const b = await runChecked(sb, ['backup', '--drive', 'A', '--json'], on(3));
    expect(b.code, b.stderr).toBe(0);
    expect([JSON.parse(b.stdout).meta.formatVersion, JSON.parse(b.stdout).meta.kind]).toEqual([3, 'full']);
  }, 120_000);
});
