// Hostile archives: snapshots forged by hand on a simulated drive (valid checksums, so
// `airgap verify` passes), each carrying one of the attacks tar extractors have fallen to
// (node-tar's advisories among them: path traversal, symlink poisoning, hard-link escape,
// unicode/case collisions, PAX header overrides, deep-folder DoS). For every archive:
// nothing outside the restore target changes — before/after listing of the whole sandbox
// (paths, types, modes, contents, mtimes, ctimes, inodes, link counts) and a canary file —,
// no staging folder is left behind, a refused member is named on stdout and makes the CLI
// exit 3, never 1, and the benign members of the same archive are restored. A write-through
// probe then writes into everything the restore created (O_NOFOLLOW, symlinks never
// followed) and checks again that nothing outside moved.
import { constants, readFileSync } from 'node:fs';
import { lstat, mkdir, open, readdir, readFile, readlink, symlink, link, writeFile, chmod, utimes } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { labelledDrive, makeSandbox, type CliResult, type Sandbox } from '../helpers/cli.js';
import { forgeSnapshot, paxBlock, rawHeader, sha256, type ForgeItem } from '../helpers/forge.js';

const TAR_VERSION = (JSON.parse(readFileSync(resolve(import.meta.dirname, '../../node_modules/tar/package.json'), 'utf8')) as { version: string }).version;
console.log(`hostile archives: forged with node-tar ${TAR_VERSION} (Header/Pax encoders)`);

const STAGING_PREFIX = '.airgap-restore-';
const CANARY = 'canary: do not touch\n';
const BENIGN = 'benign content\n';
const AFTER = 'after the hostile members\n';

// ---------------------------------------------------------------------------------------------
// Sandbox listing: everything outside the target and the state folder.

interface Entry { type: string; mode: number; uid: number; gid: number; size: number; ino: number; nlink: number; mtimeMs: number; ctimeMs: number; sha?: string; target?: string }
type Listing = Record<string, Entry>;

async function listTree(root: string, skipTop: string[]): Promise<Listing> {
  const out: Listing = {};
  const walk = async (dir: string, rel: string) => {
    for (const name of (await readdir(dir)).sort()) {
      if (rel === '' && skipTop.includes(name)) continue;
      const p = join(dir, name);
      const r = rel ? `${rel}/${name}` : name;
      const st = await lstat(p);
      const type = st.isSymbolicLink() ? 'symlink' : st.isDirectory() ? 'dir' : st.isFile() ? 'file' : st.isFIFO() ? 'fifo' : st.isCharacterDevice() ? 'chardev' : st.isBlockDevice() ? 'blockdev' : 'other';
      const e: Entry = { type, mode: st.mode, uid: st.uid, gid: st.gid, size: st.size, ino: st.ino, nlink: st.nlink, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs };
      if (type === 'file') e.sha = sha256(await readFile(p));
      if (type === 'symlink') e.target = await readlink(p);
      out[r] = e;
      if (type === 'dir') await walk(p, r);
    }
  };
  await walk(root, '');
  return out;
}

function diffListings(a: Listing, b: Listing): string[] {
  const out: string[] = [];
  for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
    if (!(k in b)) out.push(`removed: ${k}`);
    else if (!(k in a)) out.push(`added: ${k} (${b[k]!.type})`);
    else if (JSON.stringify(a[k]) !== JSON.stringify(b[k])) out.push(`changed: ${k}: ${JSON.stringify(a[k])} -> ${JSON.stringify(b[k])}`);
  }
  return out;
}

/** Everything in the target, never following a symlink. */
async function walkTarget(root: string): Promise<{ rel: string; abs: string; type: string; target?: string }[]> {
  const out: { rel: string; abs: string; type: string; target?: string }[] = [];
  const walk = async (dir: string, rel: string) => {
    for (const name of (await readdir(dir)).sort()) {
      const abs = join(dir, name);
      const r = rel ? `${rel}/${name}` : name;
      const st = await lstat(abs);
      if (st.isSymbolicLink()) out.push({ rel: r, abs, type: 'symlink', target: await readlink(abs) });
      else if (st.isDirectory()) {
        out.push({ rel: r, abs, type: 'dir' });
        await walk(abs, r);
      } else out.push({ rel: r, abs, type: st.isFile() ? 'file' : 'special' });
    }
  };
  await walk(root, '');
  return out;
}

/**
 * Writes into everything the restore created: a line appended to every regular file and a new
 * file in every folder, all opened O_NOFOLLOW (O_NONBLOCK, so a FIFO could never hang us).
 * Symlinks are never followed, whatever they point to.
 */
async function writeThroughProbe(target: string): Promise<{ wrote: number; skippedLinks: number }> {
  let wrote = 0;
  let skippedLinks = 0;
  for (const e of await walkTarget(target)) {
    if (e.type === 'symlink') {
      skippedLinks++;
      continue;
    }
    if (e.type === 'file') {
      const fh = await open(e.abs, constants.O_WRONLY | constants.O_APPEND | constants.O_NOFOLLOW | constants.O_NONBLOCK);
      await fh.write('probe\n');
      await fh.close();
      wrote++;
    } else if (e.type === 'dir') {
      const fh = await open(join(e.abs, `.probe-${randomBytes(4).toString('hex')}`), constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
      await fh.write('probe\n');
      await fh.close();
      wrote++;
    }
  }
  const fh = await open(join(target, `.probe-${randomBytes(4).toString('hex')}`), constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
  await fh.close();
  return { wrote, skippedLinks };
}

// ---------------------------------------------------------------------------------------------
// One hostile archive, end to end.

interface Case {
  /** Members of the forged tarball (benign ones included). */
  items: (ctx: { sb: Sandbox; outside: string; target: string }) => ForgeItem[];
  /** Prepare the target folder before the restore (an attacker-controlled destination). */
  prepareTarget?: (ctx: { sb: Sandbox; outside: string; target: string }) => Promise<void>;
  /** Extra things outside the target, for a case to aim at. */
  prepareOutside?: (outside: string) => Promise<void>;
  flags?: string[];
  /** Allowed exit codes (default [3]). */
  exit?: number[];
  /** Paths that must be named in the REFUSED list on stdout. */
  refused?: string[];
  /** Paths that must be named in the DAMAGED list on stdout. */
  damaged?: string[];
  /** Benign files (path in target → content) that must be restored. */
  restored?: Record<string, string>;
  /** Paths that must not exist in the target afterwards (lstat). */
  absent?: string[];
  /**
   * Sandbox paths whose link count (and so ctime) may legitimately drop: a hard link to them
   * planted in the target and replaced by the restore. Content, mode, mtime, inode still checked.
   */
  linkCountMayDrop?: string[];
}

interface Outcome {
  sb: Sandbox;
  target: string;
  outside: string;
  r: CliResult;
}

const stats = { archives: 0, escapes: 0, crashes: 0, problems: [] as string[] };
const show = (r: CliResult) => `exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
const exists = (p: string) => lstat(p).then(() => true, () => false);

/** The `  "path": reason` lines of one titled list in the restore summary. */
function listed(stdout: string, title: 'REFUSED' | 'DAMAGED'): string[] {
  const lines = stdout.split('\n');
  const start = lines.findIndex((l) => l.startsWith(title));
  if (start < 0) return [];
  const out: string[] = [];
  for (const l of lines.slice(start + 1)) {
    if (!l.startsWith('  ')) break;
    out.push(l);
  }
  return out;
}
const names = (lines: string[], path: string) => lines.some((l) => l.startsWith(`  ${JSON.stringify(path)}: `));

async function hostile(name: string, c: Case, after?: (o: Outcome) => Promise<void>): Promise<void> {
  const sb = await makeSandbox();
  try {
    const outside = join(sb.dir, 'outside');
    const target = join(sb.dir, 'target');
    await mkdir(outside);
    await writeFile(join(outside, 'canary.txt'), CANARY);
    await utimes(join(outside, 'canary.txt'), 1_500_000_000, 1_500_000_000);
    await c.prepareOutside?.(outside);
    const drive = await labelledDrive(sb, 'A');
    const ctx = { sb, outside, target };
    await c.prepareTarget?.(ctx);
    await forgeSnapshot(drive, c.items(ctx));

    // The forgery is sound as far as checksums go: only the restore's defences are tested.
    const v = await sb.run('verify', 'A');
    expect(v.code, `verify of the forged snapshot (${name})\n${show(v)}`).toBe(0);

    const skip = ['target', 'state'];
    const list = async () => {
      const l = await listTree(sb.dir, skip);
      for (const p of c.linkCountMayDrop ?? []) if (l[p]) Object.assign(l[p], { nlink: 0, ctimeMs: 0 });
      return l;
    };
    const before = await list();
    // A blow-up (deep paths, huge headers) shows as the test's own cap, not as a time asserted
    // here: the suite must pass on a loaded machine.
    const r = await sb.run('restore', 'A', '--to', target, ...(c.flags ?? []));
    const afterRestore = await list();
    const changed = diffListings(before, afterRestore);

    // What the restore produced, read before the probe writes into it.
    const got: Record<string, { isFile: boolean; content?: string }> = {};
    for (const p of Object.keys(c.restored ?? {})) {
      const st = await lstat(join(target, p)).catch(() => undefined);
      got[p] = { isFile: st?.isFile() ?? false, content: st?.isFile() ? await readFile(join(target, p), 'utf8') : undefined };
    }

    // Write-through probe (only when the restore left a target to probe).
    let probeChanged: string[] = [];
    if (await exists(target)) {
      await writeThroughProbe(target);
      probeChanged = diffListings(before, await list());
    }
    const canary = await readFile(join(outside, 'canary.txt'), 'utf8').catch(() => '<gone>');
    stats.archives++;
    const escaped = changed.length > 0 || probeChanged.length > 0 || canary !== CANARY;
    const crashed = r.code === 1 || /internal error|\n\s+at /.test(r.stderr);
    if (escaped) {
      stats.escapes++;
      stats.problems.push(`${name}: ESCAPE\n  ${[...changed, ...probeChanged.map((p) => `after probe: ${p}`)].join('\n  ')}`);
    }
    if (crashed) {
      stats.crashes++;
      const first = r.stderr.split('\n').filter((l) => l && !/^\s+at /.test(l)).slice(0, 2).join(' / ');
      stats.problems.push(`${name}: CRASH (exit ${r.code}): ${first.replace(/([^/\s'])\1{20,}/g, (m) => `${m[0]}{${m.length}}`)}`);
    }
    const info = `${name}\n${show(r)}`;

    // Soft expectations: a failing case reports every broken guarantee, not only the first.
    // Nothing outside the target changed, even after writing through everything restored.
    expect.soft(changed, `outside changed by the restore: ${info}`).toEqual([]);
    expect.soft(probeChanged, `outside changed through the restored tree: ${info}`).toEqual([]);
    expect.soft(canary, info).toBe(CANARY);

    // No staging folder left, anywhere in the target.
    if (await exists(target)) {
      const leftovers = (await walkTarget(target)).filter((e) => e.rel.split('/').some((p) => p.startsWith(STAGING_PREFIX) && p !== '.airgap-restore-planted'));
      expect.soft(leftovers.map((e) => e.rel), `staging folder left behind: ${info}`).toEqual([]);
      // Never a device node, FIFO or socket.
      expect.soft((await walkTarget(target)).filter((e) => e.type === 'special').map((e) => e.rel), `special file created: ${info}`).toEqual([]);
    }

    // Never a crash: no internal error, no stack trace.
    expect.soft(r.stderr, `crash: ${info}`).not.toMatch(/internal error/);
    expect.soft(r.stderr, info).not.toMatch(/\n\s+at /);
    expect.soft(r.code, info).not.toBe(1);
    expect.soft(c.exit ?? [3], `exit code: ${info}`).toContain(r.code);

    const refused = listed(r.stdout, 'REFUSED');
    for (const p of c.refused ?? []) expect.soft(names(refused, p), `${JSON.stringify(p)} not named as refused: ${info}`).toBe(true);
    if (r.code === 3 && !(c.damaged?.length) && !/DAMAGE:/.test(r.stdout)) expect.soft(refused.length, info).toBeGreaterThan(0);
    const damaged = listed(r.stdout, 'DAMAGED');
    for (const p of c.damaged ?? []) expect.soft(names(damaged, p), `${JSON.stringify(p)} not named as damaged: ${info}`).toBe(true);

    // The benign members of the same archive were restored.
    for (const [p, content] of Object.entries(c.restored ?? {})) {
      expect.soft(got[p]!.isFile, `${p} not restored: ${info}`).toBe(true);
      expect.soft(got[p]!.content, info).toBe(content);
    }
    for (const p of c.absent ?? []) expect.soft(await exists(join(target, p)), `${p} exists in the target: ${info}`).toBe(false);

    await after?.({ sb, target, outside, r });
  } finally {
    await sb.cleanup();
  }
}

const benign: ForgeItem[] = [
  { path: 'docs', type: 'Directory' },
  { path: 'docs/benign.txt', content: BENIGN },
];
const tail: ForgeItem[] = [{ path: 'zz-after.txt', content: AFTER }];
const benignRestored = { 'docs/benign.txt': BENIGN, 'zz-after.txt': AFTER };

afterAll(() => {
  for (const p of stats.problems) console.log(p);
  console.log(`${stats.archives} hostile archives, ${stats.escapes} escapes${stats.crashes ? `, ${stats.crashes} crashes` : ''}`);
});

// ---------------------------------------------------------------------------------------------

describe('restore of hostile archives (forged snapshots that pass verify)', () => {
  it('1. path traversal: absolute member paths (/…/outside/evil.txt, //x) are refused', async () => {
    await hostile('absolute paths', {
      items: ({ outside }) => [...benign, { path: join(outside, 'evil.txt'), content: 'evil' }, { path: '//x', content: 'evil' }, ...tail],
      refused: [], // checked below: the path names contain the sandbox
      restored: benignRestored,
      absent: ['x', 'evil.txt'],
    }, async ({ outside, r }) => {
      const refused = listed(r.stdout, 'REFUSED');
      expect(names(refused, join(outside, 'evil.txt')), show(r)).toBe(true);
      expect(names(refused, '//x'), show(r)).toBe(true);
      expect(await exists(join(outside, 'evil.txt'))).toBe(false);
    });
  });

  it('2. path traversal: ../outside/evil.txt and a/../../outside/evil.txt are refused', async () => {
    await hostile('dot-dot paths', {
      items: () => [...benign, { path: '../outside/evil.txt', content: 'evil' }, { path: 'a', type: 'Directory' }, { path: 'a/../../outside/evil.txt', content: 'evil' }, ...tail],
      refused: ['../outside/evil.txt', 'a/../../outside/evil.txt'],
      restored: benignRestored,
    });
  });

  it('3. path traversal: Windows drive letters C:\\evil.txt and C:evil.txt are refused', async () => {
    await hostile('drive letters', {
      items: () => [...benign, { path: 'C:\\evil.txt', content: 'evil' }, { path: 'C:evil.txt', content: 'evil' }, { path: 'd:..\\..\\evil.txt', content: 'evil' }, ...tail],
      refused: ['C:\\evil.txt', 'C:evil.txt', 'd:..\\..\\evil.txt'],
      restored: benignRestored,
      absent: ['C:\\evil.txt', 'C:evil.txt'],
    });
  });

  it('4. path traversal: UNC path \\\\server\\share\\evil (and ..\\ components) refused', async () => {
    await hostile('UNC paths', {
      items: () => [...benign, { path: '\\\\server\\share\\evil', content: 'evil' }, { path: 'docs\\..\\..\\outside\\evil.txt', content: 'evil' }, ...tail],
      refused: ['\\\\server\\share\\evil', 'docs\\..\\..\\outside\\evil.txt'],
      restored: benignRestored,
    });
  });

  it('5. symlink poisoning: link -> ../outside, then link/evil.txt (symlink then write)', async () => {
    await hostile('symlink then write', {
      items: () => [...benign, { path: 'link', type: 'SymbolicLink', linkpath: '../outside' }, { path: 'link/evil.txt', content: 'evil' }, ...tail],
      refused: ['link/evil.txt'],
      restored: benignRestored,
    }, async ({ target }) => {
      // The link itself is restored verbatim (documented), never written through.
      expect(await readlink(join(target, 'link'))).toBe('../outside');
    });
  });

  it('6. symlink poisoning: link -> /abs/outside, then folder link/, then a file in it', async () => {
    await hostile('symlink then folder then file', {
      items: ({ outside }) => [...benign, { path: 'link', type: 'SymbolicLink', linkpath: outside }, { path: 'link', type: 'Directory' }, { path: 'link/evil.txt', content: 'evil' }, ...tail],
      refused: ['link', 'link/evil.txt'],
      restored: benignRestored,
    }, async ({ target, outside }) => {
      const st = await lstat(join(target, 'link'));
      if (st.isSymbolicLink()) expect(await readlink(join(target, 'link'))).toBe(outside);
    });
  });

  it('7. hardlink escape: h -> ../outside/canary.txt and h2 -> /abs/outside/canary.txt are refused', async () => {
    await hostile('hard links out', {
      items: ({ outside }) => [
        ...benign,
        { path: 'h', type: 'Link', linkpath: '../outside/canary.txt', manifest: { sha256: sha256(CANARY), size: CANARY.length } },
        { path: 'h2', type: 'Link', linkpath: join(outside, 'canary.txt'), manifest: { sha256: sha256(CANARY), size: CANARY.length } },
        { path: 'docs/h3', type: 'Link', linkpath: 'docs/benign.txt' }, // benign hard link
        ...tail,
      ],
      refused: ['h', 'h2'],
      restored: benignRestored,
      absent: ['h', 'h2'],
    }, async ({ target }) => {
      const a = await lstat(join(target, 'docs/benign.txt'));
      const b = await lstat(join(target, 'docs/h3'));
      expect(b.ino).toBe(a.ino);
    });
  });

  it('8. symlink poisoning: folder d, then a symlink also named d, then d/evil.txt', async () => {
    await hostile('folder replaced by symlink', {
      items: ({ outside }) => [...benign, { path: 'd', type: 'Directory' }, { path: 'd', type: 'SymbolicLink', linkpath: outside }, { path: 'd/evil.txt', content: 'inside' }, ...tail],
      refused: ['d'],
      restored: { ...benignRestored, 'd/evil.txt': 'inside' }, // lands in the real folder d
    }, async ({ target }) => {
      expect((await lstat(join(target, 'd'))).isDirectory()).toBe(true);
    });
  });

  it('9. unicode/case collision: Readme.txt and README.TXT (second refused)', async () => {
    await hostile('case collision', {
      items: () => [...benign, { path: 'Readme.txt', content: 'first' }, { path: 'README.TXT', content: 'second' }, ...tail],
      refused: ['README.TXT'],
      restored: { ...benignRestored, 'Readme.txt': 'first' },
      absent: ['README.TXT'],
    });
  });

  it('10. unicode/case collision: café.txt in NFC and in NFD (second refused)', async () => {
    const nfc = 'caf\u00e9.txt';
    const nfd = 'cafe\u0301.txt';
    await hostile('unicode collision', {
      items: () => [...benign, { path: nfc, content: 'nfc' }, { path: nfd, content: 'nfd' }, ...tail],
      refused: [nfd],
      restored: { ...benignRestored, [nfc]: 'nfc' },
      absent: [nfd],
    });
  });

  it('11. PAX header override: ustar name safe.txt, pax path=../outside/evil.txt', async () => {
    await hostile('pax path override', {
      items: () => [...benign, { path: 'safe.txt', content: 'evil', pax: [['path', '../outside/evil.txt']] }, ...tail],
      refused: ['../outside/evil.txt'],
      restored: benignRestored,
      absent: ['safe.txt'],
    });
  });

  it('12. PAX header override: pax linkpath on a hard link (ustar linkpath docs/benign.txt)', async () => {
    await hostile('pax linkpath override', {
      items: () => [...benign, { path: 'h', type: 'Link', linkpath: 'docs/benign.txt', pax: [['linkpath', '../outside/canary.txt']] }, ...tail],
      refused: ['h'],
      restored: benignRestored,
      absent: ['h'],
    });
  });

  it('13. deep folder DoS: 3000-deep and 1100-deep pax paths refused; 1024 deep still restored', async () => {
    const deep3000 = 'a/'.repeat(2999) + 'evil.txt';
    const deep1100 = 'b/'.repeat(1099) + 'evil.txt'; // 2206 bytes: under the byte limit, over the depth limit
    const deep1024 = 'c/'.repeat(1023) + 'ok.txt';
    await hostile('deep paths', {
      items: () => [
        ...benign,
        { path: 'deep.txt', content: 'evil', pax: [['path', deep3000]] },
        { path: 'deep2.txt', content: 'evil', pax: [['path', deep1100]] },
        { path: 'deep3.txt', content: 'deep ok', pax: [['path', deep1024]] },
        ...tail,
      ],
      refused: [deep3000, deep1100],
      restored: { ...benignRestored, [deep1024]: 'deep ok' },
      absent: ['a', 'b', 'deep.txt', 'deep2.txt'],
    });
  });

  it('13b. deep folder DoS: a path within the limits (16 names of 255 bytes) but past PATH_MAX once under the target', async () => {
    const long = Array.from({ length: 15 }, (_, i) => String.fromCharCode(97 + i).repeat(255)).join('/') + '/' + 'z'.repeat(200);
    expect(Buffer.byteLength(long)).toBeLessThanOrEqual(4096);
    await hostile('path past PATH_MAX', {
      items: () => [...benign, { path: 'long.txt', content: 'long', pax: [['path', long]] }, ...tail],
      exit: [0, 3], // refusing it or reporting it unrestorable are both fine; crashing is not
      restored: benignRestored,
    });
  });

  it('14. PAX header override: a pax header over 1 MiB → archive reported damaged (exit 3)', async () => {
    const huge = paxBlock([['comment', 'x'.repeat((1 << 20) + 4096)], ['path', '../outside/evil.txt']]);
    await hostile('huge pax header', {
      items: () => [...benign, { bytes: huge }, { path: 'victim.txt', content: 'evil' }, ...tail],
      restored: { 'docs/benign.txt': BENIGN },
      absent: ['victim.txt', 'zz-after.txt'],
    }, async ({ r }) => {
      expect(r.stdout, show(r)).toMatch(/^DAMAGE: the archive is unreadable from byte \d+/m);
    });
  });

  it('15. character device, block device and FIFO entries are refused, never created', async () => {
    await hostile('device and FIFO entries', {
      items: () => [
        ...benign,
        { path: 'null', type: 'CharacterDevice', devmajor: 1, devminor: 3, raw: true },
        { path: 'sda', type: 'BlockDevice', devmajor: 8, devminor: 0, raw: true },
        { path: 'fifo', type: 'FIFO', raw: true },
        { path: 'docs/tty', type: 'CharacterDevice', devmajor: 5, devminor: 0 },
        ...tail,
      ],
      refused: ['null', 'sda', 'fifo', 'docs/tty'],
      restored: benignRestored,
      absent: ['null', 'sda', 'fifo', 'docs/tty'],
    });
  });

  it('16. setuid/setgid root file (04755, 02755 folder): bits stripped, kept only with --keep-special-bits', async () => {
    const items = (): ForgeItem[] => [
      ...benign,
      { path: 'sgid', type: 'Directory', mode: 0o2755 },
      { path: 'sgid/suid-root', content: '#!/bin/sh\necho root\n', mode: 0o4755, uid: 0, gid: 0 },
      { path: 'sgid-file', content: 'g', mode: 0o2755 },
      ...tail,
    ];
    await hostile('setuid root file', { items, exit: [0], restored: benignRestored }, async ({ target }) => {
      expect((await lstat(join(target, 'sgid/suid-root'))).mode & 0o7777).toBe(0o755);
      expect((await lstat(join(target, 'sgid-file'))).mode & 0o7777).toBe(0o755);
      expect((await lstat(join(target, 'sgid'))).mode & 0o7777).toBe(0o755);
    });
    await hostile('setuid root file, --keep-special-bits', { items, flags: ['--keep-special-bits'], exit: [0], restored: benignRestored }, async ({ target }) => {
      expect((await lstat(join(target, 'sgid/suid-root'))).mode & 0o7777).toBe(0o4755);
      expect((await lstat(join(target, 'sgid-file'))).mode & 0o7777).toBe(0o2755);
      expect((await lstat(join(target, 'sgid'))).mode & 0o7777).toBe(0o2755);
    });
  });

  it('17. symlink poisoning of the destination: target/docs -> outside, archive docs/evil.txt, --overwrite', async () => {
    for (const withDirEntry of [true, false]) {
      await hostile(`attacker destination (docs symlink, ${withDirEntry ? 'with' : 'without'} a folder entry)`, {
        prepareTarget: async ({ target, outside }) => {
          await mkdir(target);
          await symlink(outside, join(target, 'docs'));
        },
        items: () => [...(withDirEntry ? [{ path: 'docs', type: 'Directory' as const }] : []), { path: 'docs/evil.txt', content: 'evil' }, { path: 'docs/benign.txt', content: BENIGN }, ...tail],
        flags: ['--overwrite'],
        exit: [0, 3],
        restored: { 'zz-after.txt': AFTER },
      }, async ({ target, outside, r }) => {
        expect(await exists(join(outside, 'evil.txt'))).toBe(false);
        const st = await lstat(join(target, 'docs'));
        if (r.code === 0) {
          // The symlink itself was replaced by the restored folder.
          expect(st.isDirectory(), show(r)).toBe(true);
        } else {
          expect(names(listed(r.stdout, 'REFUSED'), 'docs') || names(listed(r.stdout, 'REFUSED'), 'docs/evil.txt'), show(r)).toBe(true);
        }
      });
    }
  });

  it('17 (no --overwrite). the same poisoned destination without --overwrite: refused as a whole (exit 4), nothing written', async () => {
    await hostile('attacker destination (docs symlink), no --overwrite', {
      prepareTarget: async ({ target, outside }) => {
        await mkdir(target);
        await symlink(outside, join(target, 'docs'));
      },
      items: () => [{ path: 'docs', type: 'Directory' }, { path: 'docs/evil.txt', content: 'evil' }, ...tail],
      exit: [4],
      absent: ['zz-after.txt'],
    }, async ({ r }) => {
      expect(r.stderr).toMatch(/^error: .*already has 1 path the restore would replace: "docs"/m);
    });
  });

  it('17b. symlink poisoning of the destination: a symlink deeper in the target (target/real/sub -> outside), --overwrite', async () => {
    await hostile('attacker destination (nested symlink)', {
      prepareTarget: async ({ target, outside }) => {
        await mkdir(join(target, 'real'), { recursive: true });
        await symlink(outside, join(target, 'real', 'sub'));
      },
      items: () => [{ path: 'real', type: 'Directory' }, { path: 'real/sub', type: 'Directory', mode: 0o777 }, { path: 'real/sub/evil.txt', content: 'evil' }, ...tail],
      flags: ['--overwrite'],
      exit: [0, 3],
      restored: { 'zz-after.txt': AFTER },
    });
  });

  it('17c. hardlink escape via the destination: target/f is a hard link to the canary, --overwrite replaces it, never writes through', async () => {
    await hostile('attacker destination (hard link to canary)', {
      prepareTarget: async ({ target, outside }) => {
        await mkdir(target);
        await link(join(outside, 'canary.txt'), join(target, 'f'));
      },
      items: () => [...benign, { path: 'f', content: 'replaced' }, ...tail],
      linkCountMayDrop: ['outside/canary.txt'],
      flags: ['--overwrite'],
      exit: [0],
      restored: { ...benignRestored },
    }, async ({ target, outside }) => {
      expect(await readFile(join(outside, 'canary.txt'), 'utf8')).toBe(CANARY);
      expect((await lstat(join(target, 'f'))).ino).not.toBe((await lstat(join(outside, 'canary.txt'))).ino);
    });
  });

  it('17d. symlink poisoning of the destination: a planted .airgap-restore-* symlink (ignored by the emptiness check) and a folder under it', async () => {
    // The emptiness check ignores names that look like staging folders, so the restore runs
    // without --overwrite; the archive then has a folder below that planted name. Folder modes
    // and mtimes are applied at the end: they must never be applied through the planted link.
    await hostile('attacker destination (planted staging-named symlink)', {
      prepareOutside: async (outside) => {
        await mkdir(join(outside, 'sub'));
        await chmod(join(outside, 'sub'), 0o700);
        await utimes(join(outside, 'sub'), 1_500_000_000, 1_500_000_000);
      },
      prepareTarget: async ({ target, outside }) => {
        await mkdir(target);
        await symlink(outside, join(target, '.airgap-restore-planted'));
      },
      items: () => [...benign, { path: '.airgap-restore-planted', type: 'Directory', mode: 0o777 }, { path: '.airgap-restore-planted/sub', type: 'Directory', mode: 0o777, mtime: 1_000_000 }, ...tail],
      exit: [0, 3, 4],
    }, async ({ outside }) => {
      const st = await lstat(join(outside, 'sub'));
      expect(st.mode & 0o7777, 'folder mode applied through the planted link').toBe(0o700);
      expect(st.mtimeMs, 'folder mtime applied through the planted link').toBe(1_500_000_000_000);
    });
  });

  it('18. a member whose content does not match its manifest hash is removed and reported damaged', async () => {
    await hostile('manifest lies', {
      items: () => [...benign, { path: 'liar.txt', content: 'actual content', manifest: { sha256: sha256('claimed content') } }, { path: 'docs/short.txt', content: 'abc', manifest: { size: 2 } }, ...tail],
      damaged: ['liar.txt', 'docs/short.txt'],
      restored: benignRestored,
      absent: ['liar.txt', 'docs/short.txt'],
    });
  });

  it('19. duplicate member path: the same file twice, the second refused', async () => {
    await hostile('duplicate member', {
      items: () => [...benign, { path: 'dup.txt', content: 'first' }, { path: 'dup.txt', content: 'second', manifest: false }, ...tail],
      refused: ['dup.txt'],
      restored: { ...benignRestored, 'dup.txt': 'first' },
    });
  });

  it('20. a name used first as an implicit folder (x/y.txt), then as a file x', async () => {
    await hostile('implicit folder then file of the same name', {
      items: () => [...benign, { path: 'x/y.txt', content: 'y' }, { path: 'x', content: 'x as a file' }, ...tail],
      restored: { ...benignRestored, 'x/y.txt': 'y' },
    });
  });

  it('20b. a name used first as an implicit folder (w/y.txt), then as a hard link w', async () => {
    await hostile('implicit folder then hard link of the same name', {
      items: () => [...benign, { path: 'w/y.txt', content: 'w' }, { path: 'w', type: 'Link', linkpath: 'docs/benign.txt' }, ...tail],
      restored: { ...benignRestored, 'w/y.txt': 'w' },
    });
  });

  it('21. PAX header override, interpretation conflict: a GNU long-name (L) header naming ../outside/evil.txt', async () => {
    const name = Buffer.from('../outside/evil.txt\0');
    const gnuL = Buffer.concat([rawHeader({ name: '././@LongLink', type: 'File', typeflag: 'L', size: name.length }), name, Buffer.alloc(512 - name.length)]);
    await hostile('GNU long name', {
      items: () => [...benign, { bytes: gnuL }, { path: 'short.txt', content: 'short' }, ...tail],
      refused: ['././@LongLink'],
      restored: { ...benignRestored, 'short.txt': 'short' },
      absent: ['evil.txt'],
    });
  });

  it('22. a pax path record holding a NUL or an empty path is refused', async () => {
    await hostile('pax NUL / empty path', {
      items: () => [...benign, { path: 'n1.txt', content: 'evil', pax: [['path', 'ok\0/../../outside/evil.txt']] }, { path: 'n2.txt', content: 'evil', pax: [['path', '']] }, ...tail],
      restored: benignRestored,
      absent: ['n1.txt', 'n2.txt', 'ok'],
    });
  });
});
