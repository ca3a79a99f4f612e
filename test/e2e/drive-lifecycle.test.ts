// Drives that come and go (issue 17 §3): foreign drives, adopt, replace, retire — each through
// the built CLI as a subprocess, against real folders.
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { labelledDrive, makeSandbox, runChecked, type CliResult, type Sandbox } from '../helpers/cli.js';

const show = (r: CliResult) => `exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
const line = (r: CliResult, prefix: string) => r.stderr.split('\n').find((l) => l.startsWith(prefix)) ?? '';

let sb: Sandbox;
let src: string;

beforeEach(async () => {
  sb = await makeSandbox();
  src = join(sb.dir, 'src');
  await mkdir(src, { recursive: true });
  await writeFile(join(src, 'a.txt'), 'hello\n');
  sb.env.AIRGAP_NOW = '2026-03-02T10:00:00Z';
});

afterEach(() => sb.cleanup());

const configFile = (env: Record<string, string>) => join(env.XDG_CONFIG_HOME!, 'airgap', 'config.json');
async function rotation(env: Record<string, string> = sb.env): Promise<{ name: string; id?: string }[]> {
  return JSON.parse(await readFile(configFile(env), 'utf8')).drives.rotation;
}
const driveId = async (path: string) => JSON.parse(await readFile(join(path, 'airgap', 'drive.json'), 'utf8')).id as string;
const snapshotsOn = async (path: string) => (await readdir(join(path, 'airgap'))).filter((n) => /^\d{4}-/.test(n));

async function init(env: Record<string, string>, drives: string): Promise<void> {
  const r = await runChecked({ env }, ['init', '--source', src, '--drives', drives, '--cadence', 'weekly', '--yes']);
  expect(r.code, show(r)).toBe(0);
}

describe('foreign drives: a known name with an unknown id', () => {
  it("a second user's fresh config does not adopt someone else's drive B: foreign in backup, drives and status, until airgap adopt", async () => {
    await init(sb.env, 'A,B');
    const b = await labelledDrive(sb, 'B');
    expect((await runChecked(sb, ['backup', '--drive', 'B'])).code).toBe(0);
    const owner = await snapshotsOn(b);
    // Another user on this computer: their own config and state, the same plugged-in drive B.
    const other = { ...sb.env, AIRGAP_STATE_DIR: join(sb.dir, 'state2'), XDG_CONFIG_HOME: join(sb.dir, 'config2') };
    await init(other, 'A,B');
    const w = await runChecked({ env: other }, ['backup', '--drive', 'B']);
    expect(w.code, show(w)).toBe(4);
    expect(line(w, 'error:'), show(w)).toMatch(/not your drive B \(a foreign drive\).*never labelled or used this drive.*nothing was written/);
    expect(line(w, 'hint:'), show(w)).toContain(`airgap adopt ${b}`);
    expect(await snapshotsOn(b)).toEqual(owner);
    expect((await rotation(other)).find((d) => d.name === 'B')?.id).toBeUndefined();
    const d = await runChecked({ env: other }, ['drives']);
    expect(d.stdout, show(d)).toMatch(/foreign: not your drive B/);
    const st = await runChecked({ env: other }, ['status', '--json']);
    const view = JSON.parse(st.stdout) as { drives: { name: string; connected: boolean }[]; copies: { drives: string[] }[]; alerts: string[] };
    expect(view.drives.find((x) => x.name === 'B')?.connected).toBe(false);
    expect(view.copies.flatMap((c) => c.drives)).not.toContain('B');
    expect(view.alerts.join('\n')).toMatch(/not your drive B \(a foreign drive\)/);
    expect((await rotation(other)).find((x) => x.name === 'B')?.id).toBeUndefined();
    // Adopting is explicit, asked for, and then B is the second user's drive B.
    expect((await runChecked({ env: other }, ['adopt', 'B'])).code).toBe(2); // no terminal, no --yes
    const a = await runChecked({ env: other }, ['adopt', b, '--yes']);
    expect(a.code, show(a)).toBe(0);
    expect(a.stdout).toMatch(/Adopted the drive .* as your drive B/);
    expect((await rotation(other)).find((x) => x.name === 'B')?.id).toBe(await driveId(b));
    const again = await runChecked({ env: other }, ['status', '--json']);
    expect(JSON.parse(again.stdout).drives.find((x: { name: string }) => x.name === 'B').connected).toBe(true);
  });

  it('a config without ids (written before they were recorded) binds the first drive this host knows, and says so', async () => {
    const a = await labelledDrive(sb, 'A'); // labelled before init: no config to bind yet
    await init(sb.env, 'A,B');
    expect((await rotation()).find((d) => d.name === 'A')?.id).toBeUndefined();
    const st = await runChecked(sb, ['status']);
    expect(st.stderr, show(st)).toMatch(/drive A \(id .*\) is now bound to its name in the config/);
    expect((await rotation()).find((d) => d.name === 'A')?.id).toBe(await driveId(a));
  });
});
