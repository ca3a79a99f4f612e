// "No pruning while a suspect snapshot is not accepted" (docs/cli.md, backup and prune), across
// drives: a ransomware-like change makes the backup to drive A write a SUSPECT snapshot; the user
// puts the files back and, before accepting anything, backs up to drive B, whose retention would
// now drop its older snapshots. Nothing may be pruned on B (nor on A): the older snapshots may be
// the only clean copies. Once the suspect is accepted, the same retention prunes again.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdir, readdir, readFile, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { labelledDrive, makeSandbox, type CliResult, type Sandbox } from '../helpers/cli.js';
import { mulberry32 } from '../helpers/prng.js';

let sb: Sandbox;
let src: string;
let hour = 0;
const originals = new Map<string, string>();
const OLD_MTIME = Date.UTC(2026, 0, 15, 9, 0, 0) / 1000;

const snaps = async (drive: string) => (await readdir(join(sb.drive(drive), 'airgap'))).filter((n) => /^\d{4}-/.test(n)).sort();
const json = (r: CliResult) => {
  try {
    return JSON.parse(r.stdout);
  } catch {
    throw new Error(`not JSON (exit ${r.code}): ${r.stdout}\n${r.stderr}`);
  }
};
/** Each run one simulated hour after the previous one: distinct, ordered snapshot ids. */
function run(...args: string[]): Promise<CliResult> {
  hour++;
  sb.env.AIRGAP_NOW = new Date(Date.UTC(2026, 5, 1) + hour * 3600_000).toISOString();
  return sb.run(...args);
}

/** Puts every file back as it was (content and mtime): the sources match the last accepted backup. */
async function putBack(): Promise<void> {
  for (const [p, text] of originals) {
    await writeFile(join(src, p), text);
    await utimes(join(src, p), OLD_MTIME, OLD_MTIME);
  }
}

beforeAll(async () => {
  sb = await makeSandbox();
  src = join(sb.dir, 'home');
  const rnd = mulberry32(20261202);
  for (let d = 0; d < 20; d++) {
    await mkdir(join(src, `folder-${d}`), { recursive: true });
    for (let f = 0; f < 15; f++) {
      const p = `folder-${d}/note-${f}.txt`;
      let text = '';
      while (text.length < 1000 + rnd() * 2000) text += `meeting notes ${Math.floor(rnd() * 1e6)} budget review\n`;
      originals.set(p, text);
    }
  }
  await putBack();
  sb.env.AIRGAP_CONFIG = join(sb.dir, 'config.json');
  const keepLast1 = { keepLast: 1, daily: 0, weekly: 0, monthly: 0, yearly: 0 };
  // Format 1: each snapshot stands alone, so retention "last 1" prunes (a format 2 chain keeps its base).
  await writeFile(sb.env.AIRGAP_CONFIG, JSON.stringify({
    version: 1, format: 1, sources: [src], cadence: 'daily',
    drives: { rotation: [{ name: 'A', retention: keepLast1 }, { name: 'B', retention: keepLast1 }] },
    policy: { scheme: 'round-robin', offline: 0, start: '2026-01-01' },
  }));
  await labelledDrive(sb, 'A');
  await labelledDrive(sb, 'B');
}, 120_000);

afterAll(() => sb?.cleanup());

describe('prune while a suspect snapshot is not accepted', () => {
  it('a backup to drive B prunes nothing while drive A holds an unaccepted suspect snapshot', async () => {
    // Drive B: two snapshots; drive A: one normal snapshot (the gate's baseline).
    for (const args of [['--drive', 'B', '--no-prune'], ['--drive', 'B', '--no-prune'], ['--drive', 'A']]) {
      const r = await run('backup', ...args, '--json');
      expect(r.code, r.stderr).toBe(0);
    }
    const b0 = await snaps('B');
    expect(b0).toHaveLength(2);

    // 60 % of the files encrypted in place: the backup to A writes a SUSPECT snapshot, exit 4.
    const rnd = mulberry32(666);
    let i = 0;
    for (const [p, text] of originals) {
      if (i++ % 5 >= 3) continue;
      const junk = Buffer.alloc(text.length);
      for (let k = 0; k < junk.length; k += 4) junk.writeUInt32LE((rnd() * 2 ** 32) >>> 0, Math.min(k, junk.length - 4));
      await writeFile(join(src, p), junk);
    }
    const bad = await run('backup', '--drive', 'A', '--json');
    expect(bad.code, bad.stderr).toBe(4);
    expect(json(bad).error.code).toBe('mass-change');
    const a1 = await snaps('A');
    expect(a1).toHaveLength(2);
    const suspect = JSON.parse(await readFile(join(sb.drive('A'), 'airgap', a1[1]!, 'snapshot.json'), 'utf8'));
    expect(suspect.gate).toMatchObject({ suspect: true, accepted: false });

    // The files are put back; the next backup goes to B, whose retention would prune.
    await putBack();
    const plan = await run('prune', 'B', '--dry-run', '--json');
    expect(plan.code, plan.stderr).toBe(0);
    expect(json(plan).prune.length, 'retention "last 1" would prune on B').toBeGreaterThanOrEqual(1);

    const r = await run('backup', '--drive', 'B', '--json');
    expect(r.code, r.stderr).toBe(0);
    const out = json(r);
    expect(out.meta.gate?.suspect ?? false, 'the backup to B itself is not suspect').toBe(false);
    expect(out.pruned).toEqual([]);
    expect(r.stderr).toMatch(new RegExp(`no pruning while a suspect snapshot is not accepted \\(A/${a1[1]}\\)`));
    expect(await snaps('B')).toEqual([...b0, out.snapshot].sort());
    expect(await snaps('A')).toEqual(a1);
    // airgap prune refuses too, on either drive.
    for (const d of ['A', 'B']) {
      const p = await run('prune', d, '--json');
      expect(p.code).toBe(4);
      expect(json(p).error.code).toBe('suspect-not-accepted');
    }
    expect(await snaps('B')).toEqual([...b0, out.snapshot].sort());

    // Control: once the suspect snapshot is accepted, the same retention prunes on B again.
    const accept = await run('backup', '--drive', 'A', '--accept-changes', '--json');
    expect(accept.code, accept.stderr).toBe(0);
    const again = await run('backup', '--drive', 'B', '--json');
    expect(again.code, again.stderr).toBe(0);
    expect(json(again).pruned.length).toBeGreaterThanOrEqual(1);
  }, 180_000);
});
