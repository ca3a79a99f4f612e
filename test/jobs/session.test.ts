// The session of one run (jobs/session.ts): `now` sampled once, the config and the catalog read
// once and shared by every job of the run, a named config that is missing still an error.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Session, type Environment } from '../../src/jobs/session.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'airgap-session-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const config = (sources: string[]) => JSON.stringify({ version: 1, sources, drives: { rotation: [{ name: 'A' }, { name: 'B' }] } });

function session(over: Partial<Environment> = {}, clock = () => new Date('2026-12-05T12:00:00Z')) {
  const logged: string[] = [];
  const env: Environment = {
    stateDir: join(dir, 'state'), configPath: join(dir, 'config.json'), configExplicit: false, mountRoots: [], platform: 'linux', version: 'test',
    stallMs: 1000, watchIntervalMs: 1000, mountWaitMs: 1000, clock, ...over,
  };
  return { s: new Session(env, { note: (t) => logged.push(`note: ${t}`), warn: (t) => logged.push(`warning: ${t}`), line: (t) => logged.push(t) }), logged };
}

describe('Session', () => {
  it('samples now once: a clock that moves does not move the run', () => {
    let t = Date.parse('2026-12-05T23:59:59Z');
    const { s } = session({}, () => new Date((t += 3_600_000)));
    const first = s.now;
    expect(s.now).toBe(first);
    expect(s.today).toBe(s.dayOf(first));
  });

  it('reads the config once per run, until told it changed', async () => {
    await writeFile(join(dir, 'config.json'), config(['/one']));
    const { s } = session();
    expect((await s.config())!.sources).toEqual(['/one']);
    await writeFile(join(dir, 'config.json'), config(['/two']));
    expect((await s.config())!.sources).toEqual(['/one']);
    expect((await s.requirePolicy()).config.sources).toEqual(['/one']);
    s.forgetConfig();
    expect((await s.config())!.sources).toEqual(['/two']);
  });

  it('a config named explicitly must exist; an implicit one may be missing', async () => {
    await expect(session({ configExplicit: true }).s.config()).rejects.toMatchObject({ code: 'config-unreadable' });
    expect(await session().s.config()).toBeUndefined();
    await expect(session().s.requirePolicy()).rejects.toMatchObject({ code: 'no-config' });
  });

  it('a damaged config: an error where it is needed, nothing where it only helps', async () => {
    await writeFile(join(dir, 'config.json'), '{ not json');
    const { s } = session();
    await expect(s.config()).rejects.toMatchObject({ code: 'config-invalid' });
    expect(await s.configIfReadable()).toBeUndefined();
    expect(await s.rotation()).toEqual([]);
  });

  it('one catalog object per run, its load warning reported once', async () => {
    const { mkdir } = await import('node:fs/promises');
    await mkdir(join(dir, 'state'), { recursive: true });
    await writeFile(join(dir, 'state', 'catalog.json'), '{ damaged');
    const { s, logged } = session();
    const a = await s.catalog();
    const b = await s.catalog();
    expect(b).toBe(a);
    expect(logged.filter((l) => l.startsWith('warning:'))).toHaveLength(1);
  });
});

describe('Session.renewed', () => {
  it('a new run after a wait: now sampled again, the config read again', async () => {
    await writeFile(join(dir, 'config.json'), config(['/one']));
    let t = Date.parse('2026-12-05T23:50:00Z');
    const { s } = session({}, () => new Date((t += 3_600_000)));
    await s.config();
    await writeFile(join(dir, 'config.json'), config(['/two']));
    const next = s.renewed();
    expect(next.now.getTime()).toBeGreaterThan(s.now.getTime());
    expect((await next.config())!.sources).toEqual(['/two']);
    expect((await s.config())!.sources).toEqual(['/one']);
  });
});
