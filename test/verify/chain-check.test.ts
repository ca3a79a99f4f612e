// The chain rules of verify (verify/chain-check.ts) on made-up reports: which link an increment
// names, what a damaged snapshot names as depending on it, and the cap on the files it lists.
import { describe, it, expect } from 'vitest';
import { DriveChains } from '../../src/verify/chain-check.js';
import { affects } from '../../src/core/tarball-damage.js';
import type { DriveContents } from '../../src/layout/drive-contents.js';
import type { SnapshotMeta } from '../../src/layout/format.js';
import type { VerifiedSnapshot } from '../../src/verify/verify-snapshot.js';
import type { SnapshotStatus } from '../../src/core/findings.js';

const F = '2030-01-01T000000Z';
const I1 = '2030-01-02T000000Z';
const I2 = '2030-01-03T000000Z';
const G = '2030-01-04T000000Z'; // a second full

const contents = (ids: string[], incomplete: string[] = []): DriveContents => ({
  snapshots: ids.map((id) => ({ id, dir: `/nowhere/${id}`, complete: !incomplete.includes(id) })),
  leftovers: [], twins: [], unknown: [],
});

const meta = (chain: string[]): SnapshotMeta => ({
  formatVersion: 2, id: chain.at(-1)!, chain, kind: chain.length === 1 ? 'full' : 'incremental',
  ...(chain.length > 1 ? { base: chain.at(-2) } : {}),
} as SnapshotMeta);

const report = (id: string, chain: string[] | undefined, status: SnapshotStatus = 'ok', deep = false): VerifiedSnapshot => ({
  id, status, deep, bytesRead: 0, findings: status === 'damaged' ? [{ severity: 'damage', code: 'checksum-mismatch', message: 'x' }] : [],
  ...(chain ? { meta: meta(chain) } : {}),
});

describe('affects', () => {
  it('takes every member, the named ones, or those from an offset on', () => {
    expect(affects({ all: true, paths: new Set() }, { path: 'a', offset: 0 })).toBe(true);
    expect(affects({ all: false, paths: new Set(['a']) }, { path: 'a', offset: 0 })).toBe(true);
    expect(affects({ all: false, paths: new Set(['a']) }, { path: 'b', offset: 0 })).toBe(false);
    expect(affects({ all: false, paths: new Set(), from: 1024 }, { path: 'b', offset: 512 })).toBe(false);
    expect(affects({ all: false, paths: new Set(), from: 1024 }, { path: 'b', offset: 1024 })).toBe(true);
  });
});

describe('DriveChains.judge', () => {
  it('a damaged full: each increment names it (only it), and it names both increments', async () => {
    const reports = [report(F, [F], 'damaged'), report(I1, [F, I1]), report(I2, [F, I1, I2]), report(G, [G])];
    await new DriveChains(contents([F, I1, I2, G])).judge(reports);
    const [f, i1, i2, g] = reports;
    expect(f!.findings.at(-1)).toMatchObject({ code: 'chain-dependants', dependants: [I1, I2] });
    expect(f!.findings.at(-1)!.dependantFiles).toBeUndefined();
    for (const r of [i1!, i2!]) {
      expect(r.status).toBe('damaged');
      expect(r.findings.map((x) => [x.code, x.link])).toEqual([['chain-link-damaged', F]]);
    }
    expect(g!.status).toBe('ok');
    expect(g!.findings).toEqual([]);
  });

  it('a link whose own chain is not the prefix the increment expects is a mismatch', async () => {
    const reports = [report(F, [F]), report(I1, [G, I1]), report(I2, [F, I1, I2])];
    await new DriveChains(contents([F, I1, I2])).judge(reports);
    expect(reports[2]!.findings.map((x) => [x.code, x.link])).toEqual([['chain-link-mismatch', I1]]);
    expect(reports[2]!.findings[0]!.message).toContain(`its chain should be ${F}, ${I1}, its snapshot.json says ${G}, ${I1}`);
  });

  it('missing and incomplete links are named; a link not verified in this run gets a note', async () => {
    const missing = [report(I1, [F, I1]), report(I2, [F, I1, I2])];
    await new DriveChains(contents([I1, I2])).judge(missing);
    expect(missing[1]!.findings.map((x) => [x.code, x.link])).toEqual([['chain-link-missing', F]]);

    const incomplete = [report(I2, [F, I1, I2])];
    await new DriveChains(contents([F, I1, I2], [I1])).judge(incomplete);
    // F is not verified in this run (its snapshot.json is not there to read): named as unusable.
    expect(incomplete[0]!.findings.map((x) => x.code)).toEqual(['chain-link-damaged', 'chain-link-incomplete']);
  });

  it('--deep: the files of dependants whose content is damaged, the first 20 and how many', async () => {
    const chains = new DriveChains(contents([F, I1, I2]));
    chains.context.onTarballDamage!(F, { all: false, paths: new Set(['big']), from: 8192 });
    for (const s of [I1, I2]) {
      for (let i = 0; i < 15; i++) chains.context.onCarried!(s, { type: 'file', path: `f${i}`, in: F, offset: 512 * i + 2048, mode: 0o644, uid: 0, gid: 0, size: 1, mtime: 0 });
      chains.context.onCarried!(s, { type: 'file', path: 'big', in: F, offset: 0, mode: 0o644, uid: 0, gid: 0, size: 1, mtime: 0 });
    }
    const reports = [report(F, [F], 'damaged', true), report(I1, [F, I1], 'ok', true), report(I2, [F, I1, I2], 'ok', true)];
    await chains.judge(reports);
    const dep = reports[0]!.findings.find((x) => x.code === 'chain-dependants')!;
    // Per increment: f12, f13, f14 (from byte 8192 on) and big.
    expect(dep.dependantFilesTotal).toBe(8);
    expect(dep.dependantFiles).toEqual([I1, I2].flatMap((snapshot) => ['f12', 'f13', 'f14', 'big'].map((path) => ({ snapshot, path }))));
    expect(dep.message).toContain('8 of their files have their content in what is damaged here');
  });

  it('caps the files shown at 20', async () => {
    const chains = new DriveChains(contents([F, I1]));
    chains.context.onTarballDamage!(F, { all: true, paths: new Set() });
    for (let i = 0; i < 25; i++) chains.context.onCarried!(I1, { type: 'file', path: `f${i}`, in: F, offset: 512 * i, mode: 0o644, uid: 0, gid: 0, size: 1, mtime: 0 });
    const reports = [report(F, [F], 'damaged', true), report(I1, [F, I1], 'ok', true)];
    await chains.judge(reports);
    const dep = reports[0]!.findings.find((x) => x.code === 'chain-dependants')!;
    expect(dep.dependantFiles).toHaveLength(20);
    expect(dep.dependantFilesTotal).toBe(25);
  });
});
