// `airgap restore`, `restore --dry-run` and `find` on format 2 (docs/FORMAT.md): a real
// five-snapshot history written by the built CLI (`backup --format 2`: a full, then increments
// that carry unchanged files forward), with edits, deletions, renames, a folder removed, a hard
// link and symlinks between the backups. Every snapshot is restored into a fresh folder and
// compared with the source as it was then; one file is restored from an increment by reading
// only its member in the full; a damaged or missing link of the chain refuses the restore and
// names it.
import { execFileSync } from 'node:child_process';
import { chmod, link, mkdir, readFile, readdir, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labelledDrive, makeSandbox, runChecked, type Sandbox } from '../helpers/cli.js';
import { flipByte } from '../helpers/damage.js';
import { readTree, type Snapshot } from '../helpers/tree.js';
import { sha256 } from '../helpers/bytes.js';
import { readManifestV2, writeManifestV2 } from '../helpers/v2-lists.js';

interface Taken { id: string; dir: string; kind: string; carried: number; tree: Snapshot }
interface Line { path: string; type: string; sha256: string; in: string; offset: number }

const unescape = (s: string) => s.replace(/\\(\\|t|n|r|x[0-9a-f]{2})/g, (_, c: string) =>
  c === '\\' ? '\\' : c === 't' ? '\t' : c === 'n' ? '\n' : c === 'r' ? '\r' : String.fromCharCode(parseInt(c.slice(1), 16)));

/** A v2 MANIFEST.tsv(.gz), by path. */
async function manifestOf(dir: string): Promise<Map<string, Line>> {
  const text = await readManifestV2(dir);
  expect(text.split('\n')[0]).toBe('# airgap manifest v2');
  const out = new Map<string, Line>();
  for (const l of text.split('\n').filter((x) => x && !x.startsWith('#'))) {
    const f = l.split('\t');
    out.set(unescape(f[7]!), { path: unescape(f[7]!), type: f[0]!, sha256: f[6]!, in: f[9]!, offset: Number(f[10]) });
  }
  return out;
}

/** Rewrites a snapshot's SHA256SUMS over its files as they are now (a forger with write access). */
async function reSign(dir: string): Promise<void> {
  const lines = (await readFile(join(dir, 'SHA256SUMS'), 'utf8')).split('\n').filter(Boolean);
  const out: string[] = [];
  for (const l of lines) {
    const name = l.slice(66);
    out.push(`${sha256(await readFile(join(dir, name)))}  ${name}`);
  }
  await writeFile(join(dir, 'SHA256SUMS'), out.join('\n') + '\n');
}

const run = runChecked;

const FILLER = Array.from({ length: 40 }, (_, i) => `filler/f${String(i).padStart(2, '0')}.txt`);
const text = (s: string, n = 1) => `${s}\n`.repeat(n);

describe('restore: format 2 chains written by the CLI', () => {
  let sb: Sandbox;
  let src: string;
  const taken: Taken[] = [];
  const at = (n: number) => ({ AIRGAP_NOW: new Date(Date.UTC(2026, 2, 1 + n, 9)).toISOString() });

  async function backup(n: number): Promise<void> {
    const r = await run(sb, ['backup', '--drive', 'A', '--source', src, '--format', '2', '--no-prune', '--json'], at(n));
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { snapshot: string; dir: string; problems: unknown[] };
    expect(out.problems).toEqual([]);
    const meta = JSON.parse(await readFile(join(out.dir, 'snapshot.json'), 'utf8')) as { formatVersion: number; kind: string; carried?: { files: number } };
    expect(meta.formatVersion).toBe(2);
    taken.push({ id: out.snapshot, dir: out.dir, kind: meta.kind, carried: meta.carried?.files ?? 0, tree: await readTree(src, { dirMtimes: true }) });
  }

  beforeAll(async () => {
    sb = await makeSandbox();
    src = join(sb.dir, 'home', 'data');
    await mkdir(join(src, 'docs', 'sub'), { recursive: true });
    await mkdir(join(src, 'old'), { recursive: true });
    await mkdir(join(src, 'filler'), { recursive: true });
    for (const f of FILLER) await writeFile(join(src, f), text(`filler ${f}`, 20));
    await writeFile(join(src, 'docs', 'a.txt'), text('a, first', 3));
    await writeFile(join(src, 'docs', 'b.txt'), text('b', 3));
    await writeFile(join(src, 'docs', 'sub', 'c.txt'), text('c', 3));
    await writeFile(join(src, 'docs', 'big.log'), text('a long line of a log file, repeated', 40_000)); // ~1.4 MB: a large file
    await writeFile(join(src, 'old', 'x.txt'), text('x'));
    await writeFile(join(src, 'old', 'y.txt'), text('y'));
    await writeFile(join(src, 'run.sh'), '#!/bin/sh\necho hi\n');
    await chmod(join(src, 'run.sh'), 0o755);
    await writeFile(join(src, 'hard-a'), text('one inode, two names'));
    await link(join(src, 'hard-a'), join(src, 'docs', 'hard-b'));
    await symlink('docs/a.txt', join(src, 'link-a'));
    await symlink('/etc/hostname', join(src, 'link-abs'));
    await labelledDrive(sb, 'A');
    await backup(0); // the full

    await writeFile(join(src, 'docs', 'a.txt'), text('a, edited', 3));
    await rm(join(src, 'docs', 'b.txt'));
    await rename(join(src, 'filler', 'f01.txt'), join(src, 'filler', 'f01-renamed.txt'));
    await mkdir(join(src, 'new-folder'));
    await writeFile(join(src, 'new-folder', 'n.txt'), text('new'));
    await backup(1);

    await rm(join(src, 'old'), { recursive: true }); // a whole folder goes
    await rm(join(src, 'link-a'));
    await symlink('docs/sub/c.txt', join(src, 'link-a')); // a symlink changes target
    await symlink('new-folder', join(src, 'link-new'));
    await writeFile(join(src, 'docs', 'b.txt'), text('b is back, different')); // a deleted name comes back
    await backup(2);

    await writeFile(join(src, 'hard-a'), text('one inode, edited through one name')); // the hard-link group changes
    await rename(join(src, 'docs', 'sub'), join(src, 'docs', 'sub-renamed')); // a folder renamed
    await chmod(join(src, 'run.sh'), 0o700);
    await rm(join(src, 'filler', 'f02.txt'));
    await backup(3);

    await writeFile(join(src, 'filler', 'f03.txt'), text('f03 edited'));
    await writeFile(join(src, 'new-folder', 'n2.txt'), text('second new'));
    await backup(4);
  });
  afterAll(() => sb.cleanup());

  it('wrote a full and four increments that carry unchanged files from the chain', () => {
    expect(taken.map((t) => t.kind)).toEqual(['full', 'incremental', 'incremental', 'incremental', 'incremental']);
    for (const t of taken.slice(1)) expect(t.carried, t.id).toBeGreaterThan(30);
  });

  it('restores every snapshot whole, exactly as the source was then (deleted files do not come back)', async () => {
    for (const t of taken) {
      const to = join(sb.dir, 'whole', t.id);
      const r = await run(sb, ['restore', 'A', '--snapshot', t.id, '--to', to]);
      expect(r.code, `${t.id}: ${r.stdout}${r.stderr}`).toBe(0);
      expect(r.stdout).not.toMatch(/DAMAGED|REFUSED|MISSING|Summary:/);
      expect(await readdir(to)).toEqual(['data']);
      expect(await readTree(join(to, 'data'), { dirMtimes: true }), t.id).toEqual(t.tree);
    }
  });

  // That only the member is read (not the full's whole tarball) is shown by the damaged-full test below.
  it('restores one file of an increment whose content is in the full', async () => {
    const last = taken.at(-1)!;
    const m = await manifestOf(last.dir);
    const line = m.get('data/filler/f10.txt')!;
    expect(line.in).toBe(taken[0]!.id);
    const to = join(sb.dir, 'one', 'f10');
    const r = await run(sb, ['restore', 'A', '--snapshot', last.id, 'data/filler/f10.txt', '--to', to]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const got = await readTree(to);
    expect(got['data/filler/f10.txt']).toEqual(last.tree['filler/f10.txt']);
  });

  it('restores one folder of an increment, its files from the tarballs that hold them', async () => {
    const last = taken.at(-1)!;
    const to = join(sb.dir, 'one', 'filler');
    const r = await run(sb, ['restore', 'A', '--snapshot', last.id, 'data/filler', '--to', to]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const want = Object.fromEntries(Object.entries(last.tree).filter(([k]) => k === 'filler' || k.startsWith('filler/')).map(([k, v]) => [`data/${k}`, v]));
    const got = await readTree(to, { dirMtimes: true });
    delete got['data']; // made as the parent of what was asked for
    expect(got).toEqual(want);
  });

  it('restores a hard link named alone with its first copy, one inode again', async () => {
    const last = taken.at(-1)!;
    const m = await manifestOf(last.dir);
    expect([m.get('data/hard-a')!.type, m.get('data/docs/hard-b')!.type]).toEqual(['h', 'f']);
    const to = join(sb.dir, 'one', 'hard');
    const r = await run(sb, ['restore', 'A', '--snapshot', last.id, 'data/hard-a', '--to', to, '--json']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect((JSON.parse(r.stdout) as { alsoRestored: string[] }).alsoRestored).toEqual(['data/docs/hard-b']);
    const got = await readTree(to);
    expect([got['data/hard-a'], got['data/docs/hard-b']]).toEqual([last.tree['hard-a'], last.tree['docs/hard-b']]);
    expect(got['data/hard-a']!.nlink).toBe(2);
  });

  it('--dry-run and find name the tarball that holds a file', async () => {
    const [full, , , , last] = taken as [Taken, Taken, Taken, Taken, Taken];
    const m = await manifestOf(last.dir);
    const dry = await run(sb, ['restore', 'A', '--snapshot', last.id, 'data/filler/f10.txt', 'data/filler/f03.txt', '--to', join(sb.dir, 'dry'), '--dry-run', '--json']);
    expect(dry.code, dry.stderr).toBe(0);
    const planned = (JSON.parse(dry.stdout) as { planned: { tarballs: unknown; sources: unknown } }).planned;
    expect(planned.tarballs).toEqual([
      { snapshot: full.id, files: 1, bytes: (await readFile(join(src, 'filler/f10.txt'))).length },
      { snapshot: last.id, files: 1, bytes: (await readFile(join(src, 'filler/f03.txt'))).length },
    ]);
    expect(planned.sources).toEqual([
      { path: 'data/filler/f03.txt', snapshot: last.id, offset: m.get('data/filler/f03.txt')!.offset },
      { path: 'data/filler/f10.txt', snapshot: full.id, offset: m.get('data/filler/f10.txt')!.offset },
    ]);
    const words = await run(sb, ['restore', 'A', '--snapshot', last.id, 'data/filler/f10.txt', '--to', join(sb.dir, 'dry'), '--dry-run']);
    expect(words.stdout).toContain(`"data/filler/f10.txt": in the tarball of ${full.id}, at byte ${m.get('data/filler/f10.txt')!.offset}`);

    const found = await run(sb, ['find', 'A', 'f10.txt', '--all-snapshots', '--json']);
    const hits = (JSON.parse(found.stdout) as { found: { snapshot: string; in: string }[] }).found;
    expect(hits.map((h) => [h.snapshot, h.in])).toEqual([...taken].reverse().map((t) => [t.id, full.id]));
    const plain = await run(sb, ['find', 'A', 'f03.txt']);
    expect(plain.stdout).toContain(`data/filler/f03.txt  (in tarball ${last.id})`);
  });

  it('diff reads format 2 manifests (v2) as their snapshot.json says', async () => {
    const r = await run(sb, ['diff', 'A', taken[0]!.id, taken[1]!.id, '--json']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const report = (JSON.parse(r.stdout) as { report: { examples: { modified: string[]; deleted: string[] } } }).report;
    expect(report.examples.modified).toEqual(['data/docs/a.txt']);
    expect(report.examples.deleted).toEqual(['data/docs/b.txt', 'data/filler/f01.txt']);
  });

  it('refuses a whole restore whose offsets do not match the tarball (a forged manifest)', async () => {
    const last = taken.at(-1)!;
    // A copy of the drive where only the manifest is changed (and re-signed): f10's offset now points at f11's member.
    const copy = join(await labelledDrive(sb, 'F'), 'airgap');
    for (const t of taken) await runCp(t.dir, join(copy, t.id));
    const m = await manifestOf(last.dir);
    const [f10, f11] = [m.get('data/filler/f10.txt')!, m.get('data/filler/f11.txt')!];
    const manifest = await readManifestV2(join(copy, last.id));
    await writeManifestV2(join(copy, last.id), manifest.replace(`\t${f10.in}\t${f10.offset}\n`, `\t${f10.in}\t${f11.offset}\n`));
    await reSign(join(copy, last.id));
    const whole = await run(sb, ['restore', 'F', '--snapshot', last.id, '--to', join(sb.dir, 'forged-whole')]);
    expect(whole.code, whole.stdout + whole.stderr).toBe(3);
    expect(whole.stdout).toContain(`"data/filler/f10.txt": found at byte ${f10.offset} of the tarball of ${f10.in}, where the manifest says byte ${f11.offset}`);
    // Read at its offset, the member there is f11, which was not asked for: f10 is not restored, and f11's bytes never become f10.
    const one = await run(sb, ['restore', 'F', '--snapshot', last.id, 'data/filler/f10.txt', '--to', join(sb.dir, 'forged-one')]);
    expect(one.code, one.stdout + one.stderr).toBe(3);
    expect(one.stdout).toMatch(/MISSING from the archive, not restored \(1\):\n {2}"data\/filler\/f10.txt"/);
    expect(await readdir(join(sb.dir, 'forged-one', 'data', 'filler')).catch(() => [])).toEqual([]);
  });

  it('a damaged full refuses the restore of an increment, naming it; one file is still read at its offset', async () => {
    const [full, , third, , last] = taken as [Taken, Taken, Taken, Taken, Taken];
    const m = await manifestOf(last.dir);
    // Damage in f20's content, in the full's tarball: its size is right, its SHA-256 is not.
    const f20 = m.get('data/filler/f20.txt')!;
    expect(f20.in).toBe(full.id);
    await flipByte(join(full.dir, `${full.id}.tar`), f20.offset + 512 + 10);

    const to = join(sb.dir, 'damaged-whole');
    const r = await run(sb, ['restore', 'A', '--snapshot', third.id, '--to', to]);
    expect(r.code, r.stdout + r.stderr).toBe(3);
    expect(r.stderr).toContain(`${full.id}.tar, the tarball of snapshot ${full.id} of its chain, does not match its SHA-256`);
    expect(await readdir(to).catch(() => [])).toEqual([]);

    // Another file of the full is read at its offset alone: the damage elsewhere is never read.
    const one = join(sb.dir, 'damaged-one');
    const ok = await run(sb, ['restore', 'A', '--snapshot', last.id, 'data/filler/f10.txt', '--to', one]);
    expect(ok.code, ok.stdout + ok.stderr).toBe(0);
    expect((await readTree(one))['data/filler/f10.txt']).toEqual(last.tree['filler/f10.txt']);
    // The damaged file itself, read at its offset, does not match its SHA-256: named, not restored.
    const bad = await run(sb, ['restore', 'A', '--snapshot', last.id, 'data/filler/f20.txt', '--to', join(sb.dir, 'damaged-f20')]);
    expect(bad.code, bad.stdout + bad.stderr).toBe(3);
    expect(bad.stdout).toMatch(/DAMAGED, not restored \(1\):\n {2}"data\/filler\/f20.txt": content does not match its SHA-256/);

    // --salvage: everything but the damaged file comes back, and it is named.
    const salvaged = join(sb.dir, 'damaged-salvage');
    const s = await run(sb, ['restore', 'A', '--snapshot', third.id, '--to', salvaged, '--salvage']);
    expect(s.code, s.stdout + s.stderr).toBe(3);
    expect(s.stdout).toMatch(/"data\/filler\/f20.txt": content does not match its SHA-256/);
    const want = { ...third.tree };
    delete want['filler/f20.txt'];
    const got = await readTree(join(salvaged, 'data'), { dirMtimes: true });
    expect(got).toEqual(want);
    await flipByte(join(full.dir, `${full.id}.tar`), f20.offset + 512 + 10); // mended for the next test
  });

  it('a link missing from the drive refuses the restore and names it; --salvage restores the rest', async () => {
    const [, second, , fourth] = taken as [Taken, Taken, Taken, Taken];
    const aside = join(sb.dir, 'aside');
    await rename(second.dir, aside);
    try {
      const r = await run(sb, ['restore', 'A', '--snapshot', fourth.id, '--to', join(sb.dir, 'missing-link')]);
      expect(r.code, r.stdout + r.stderr).toBe(3);
      expect(r.stderr).toContain(`snapshot ${fourth.id} cannot be restored: snapshot ${second.id}, whose tarball it builds on`);
      expect(r.stderr).toContain('is missing from this drive');
      const s = await run(sb, ['restore', 'A', '--snapshot', fourth.id, '--to', join(sb.dir, 'missing-link-salvage'), '--salvage']);
      expect(s.code, s.stdout + s.stderr).toBe(3);
      const m = await manifestOf(fourth.dir);
      const fromSecond = [...m.values()].filter((l) => l.in === second.id).map((l) => l.path);
      expect(fromSecond.length).toBeGreaterThan(0);
      for (const p of fromSecond) expect(s.stdout).toContain(JSON.stringify(p));
      expect(s.stdout).toContain(`of the tarball of ${second.id}: never read`);
    } finally {
      await rename(aside, second.dir);
    }
  });
});

/** Copies a snapshot folder (cp -a keeps it byte for byte). */
async function runCp(from: string, to: string): Promise<void> {
  execFileSync('cp', ['-a', from, to]);
}

describe('restore: format 2 with the tarball in parts (FAT drives)', () => {
  let sb: Sandbox;
  let src: string;
  const ids: string[] = [];
  const trees: Snapshot[] = [];

  beforeAll(async () => {
    sb = await makeSandbox();
    src = join(sb.dir, 'home', 'data');
    await mkdir(src, { recursive: true });
    // 2.4 MB in 1 MiB parts: members that start in a later part, and members across a cut.
    for (const n of ['a', 'b', 'c', 'd']) await writeFile(join(src, `${n}.log`), text(`${n}: a line of a log file`, 24_000));
    await writeFile(join(src, 'small.txt'), text('small'));
    await labelledDrive(sb, 'A');
    for (const [n, edit] of [[0, undefined], [1, 'small, edited']] as const) {
      if (edit) await writeFile(join(src, 'small.txt'), text(edit));
      const r = await run(sb, ['backup', '--drive', 'A', '--source', src, '--format', '2', '--part-size', '1M', '--no-prune', '--json'],
        { AIRGAP_NOW: new Date(Date.UTC(2026, 3, 1 + n, 9)).toISOString() });
      expect(r.code, r.stdout + r.stderr).toBe(0);
      ids.push((JSON.parse(r.stdout) as { snapshot: string }).snapshot);
      trees.push(await readTree(src, { dirMtimes: true }));
    }
  });
  afterAll(() => sb.cleanup());

  it('reads one file at its offset across the parts, and the whole increment from both chains of parts', async () => {
    const [full, inc] = ids as [string, string];
    const airgap = join(sb.drive('A'), 'airgap');
    expect((await readdir(join(airgap, full))).filter((n) => n.startsWith(`${full}.tar.`)).length).toBeGreaterThanOrEqual(3);
    const m = await manifestOf(join(airgap, inc));
    for (const name of ['a.log', 'b.log', 'c.log', 'd.log']) {
      const line = m.get(`data/${name}`)!;
      expect(line.in).toBe(full);
      const to = join(sb.dir, 'one', name);
      const r = await run(sb, ['restore', 'A', '--snapshot', inc, `data/${name}`, '--to', to]);
      expect(r.code, `${name} at ${line.offset}: ${r.stdout}${r.stderr}`).toBe(0);
      expect((await readTree(to))[`data/${name}`]).toEqual(trees[1]![name]);
    }
    // Members that start past the first part, and members whose content runs across a cut.
    const spans = ['a', 'b', 'c', 'd'].map((n) => [m.get(`data/${n}.log`)!.offset, m.get(`data/${n}.log`)!.offset + 512 + 24_000 * 25]);
    expect(spans.filter(([start]) => start! > 1 << 20).length).toBeGreaterThan(0);
    expect(spans.filter(([start, end]) => Math.floor(start! / (1 << 20)) !== Math.floor(end! / (1 << 20))).length).toBeGreaterThan(0);
    const to = join(sb.dir, 'whole');
    const r = await run(sb, ['restore', 'A', '--snapshot', inc, '--to', to]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(await readTree(join(to, 'data'), { dirMtimes: true })).toEqual(trees[1]);
  });
});
