// RESTORE.txt (layout/restore-text.ts): the exact text, without deltas as it always was, and with
// block deltas (/work/delta-spec.md "Stock restore"): after each link's extraction the truncating
// dd, one dd per member, touch after a file's last link, rm of .airgap-delta; the same in
// PowerShell. Then a small fake chain of three-and-a-half MiB files edited, grown, shrunk and
// rewritten over four snapshots, its tarballs made by GNU tar itself with `.airgap-delta/<ID>/<n>/<first>`
// members cut at 1 MiB blocks, and every snapshot's RESTORE.txt run literally with GNU tar, bsdtar,
// and busybox sh with busybox tar, dd, touch and the rest.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeltaLink, DeltaMember } from '../../src/layout/manifest.js';
import { formatSumLine } from '../../src/layout/sha256sums.js';
import { REMOVE_FILE, RESTORE_FILE, restoreText, shQuote, type ChainLink, type DeltaFile } from '../../src/layout/restore-text.js';
import { Mulberry32 } from '../helpers/prng.js';
import { restoreScript, runScript, STOCK_RUNS } from '../helpers/stock-restore.js';
import { readTree, type Snapshot } from '../helpers/tree.js';
import { gzipSync } from 'node:zlib';

const S1 = '2026-02-01T120000Z';
const S2 = '2026-02-08T120000Z';
const S3 = '2026-02-15T120000Z';
const S4 = '2026-02-22T120000Z';
/** A quote, `$`, a double quote and backticks: literal in sh single quotes, escaped in PowerShell. */
const ODD = "Mail/it's $HOME \"q\" `x`.mbox";
const MiB = 1 << 20;

/** Today's text for a two-link chain (the first in parts), pinned from before deltas existed (step 4 since the lists are gzipped). */
const NO_DELTA_TEXT = `RESTORE SNAPSHOT 2026-01-08T120000Z WITH STOCK TOOLS
==================================================

This snapshot is an INCREMENT: its tarball holds only what changed since the snapshot before it. Restoring it
  takes the 2 tarballs of its chain, oldest first:
      2026-01-01T120000Z
      2026-01-08T120000Z

Linux and macOS
---------------
  Type the indented commands in a terminal (sh, bash or zsh), in order.

0. Where this drive is, and where to restore to (a NEW, empty folder, NOT on this drive)
    DRIVE=/media/me/BACKUP
  Replace /media/me/BACKUP by the folder that holds the "airgap" folder.
    TARGET="$HOME/restored-2026-01-08T120000Z"
    mkdir -p "$TARGET"

1. Check every snapshot of the chain (every line must say OK)
    (cd "$DRIVE/airgap/2026-01-01T120000Z" && sha256sum -c SHA256SUMS)
    (cd "$DRIVE/airgap/2026-01-08T120000Z" && sha256sum -c SHA256SUMS)
  macOS: use shasum -a 256 -c instead of sha256sum -c.

2. Extract the chain, oldest first, into TARGET
    cat "$DRIVE/airgap/2026-01-01T120000Z/2026-01-01T120000Z.tar".[0-9][0-9][0-9] | tar -xpf - -C "$TARGET"
    tar -xpf "$DRIVE/airgap/2026-01-08T120000Z/2026-01-08T120000Z.tar" -C "$TARGET"

3. Remove what this snapshot no longer held (files deleted since an older snapshot of the chain)
    (cd "$TARGET" && xargs -0 rm -rf -- < "$DRIVE/airgap/2026-01-08T120000Z"/REMOVE.nul)
  REMOVE.nul lists paths inside TARGET, each ended by a NUL byte; run this only inside TARGET.

4. Check the restored files (every line must say OK)
    (cd "$TARGET" && gunzip -t "$DRIVE/airgap/2026-01-08T120000Z"/FILES.sha256.gz && gunzip -c "$DRIVE/airgap/2026-01-08T120000Z"/FILES.sha256.gz | sha256sum -c)
  FILES.sha256.gz is the gzipped list of every file's SHA-256 (gunzip -t first checks that
  it is whole). macOS: use shasum -a 256 -c instead of sha256sum -c.

Windows (PowerShell; tar is built into Windows 10 and later)
------------------------------------------------------------
  $Drive = 'E:\\'                                # this drive's letter
  $Target = "$HOME\\restored-2026-01-08T120000Z"          # a new folder on ANOTHER disk
  $Chain = '2026-01-01T120000Z', '2026-01-08T120000Z'
  foreach ($s in $Chain) { Get-Content "$Drive\\airgap\\$s\\SHA256SUMS" | ForEach-Object { $h, $f = $_ -split '  ', 2
      if ((Get-FileHash -Algorithm SHA256 -LiteralPath "$Drive\\airgap\\$s\\$f").Hash -ieq $h) { "OK  $s\\$f" } else { "FAILED  $s\\$f" } } }
  New-Item -ItemType Directory -Force $Target
  foreach ($s in $Chain) { tar -xf "$Drive\\airgap\\$s\\$s.tar" -C $Target }
  ([IO.File]::ReadAllText("$Drive\\airgap\\2026-01-08T120000Z\\REMOVE.nul")).Split([char]0) | Where-Object { $_ } |
      ForEach-Object { Remove-Item -LiteralPath (Join-Path $Target $_) -Recurse -Force -ErrorAction SilentlyContinue }
  Parts (<ID>.tar.000, .001, ...): join them first with  copy /b part0 + part1 + ... <ID>.tar  in cmd.
`;

/** The lines of a part of the text: from the line starting with `from` up to (not including) the one starting with `to`. */
function between(text: string, from: string, to: string): string[] {
  const lines = text.split('\n');
  const a = lines.findIndex((l) => l.startsWith(from));
  const b = lines.findIndex((l, i) => i > a && l.startsWith(to));
  expect(a, `a line starting with ${from}`).toBeGreaterThanOrEqual(0);
  expect(b, `a line starting with ${to}`).toBeGreaterThan(a);
  return lines.slice(a + 1, b);
}

const linux = (text: string) => between(text, '2. Extract the chain', '3. Remove what');
const windows = (text: string) => between(text, '  New-Item -ItemType Directory', '  ([IO.File]::ReadAllText(');

describe('restoreText without deltas', () => {
  it('is byte for byte the text from before deltas (no deltas, an empty list, no delta members)', () => {
    const chain: ChainLink[] = [{ id: '2026-01-01T120000Z', parts: true }, { id: '2026-01-08T120000Z', parts: false }];
    expect(restoreText(chain)).toBe(NO_DELTA_TEXT);
    expect(restoreText(chain, [])).toBe(NO_DELTA_TEXT);
    expect(restoreText(chain.map((l) => ({ ...l, deltaMembers: false })), [])).toBe(NO_DELTA_TEXT);
  });

  it('a full is its one tarball, with a foreach on Windows as before', () => {
    const t = restoreText([{ id: S1, parts: false }]);
    expect(t).toContain('This snapshot is a FULL snapshot');
    expect(linux(t)).toEqual([`    tar -xpf "$DRIVE/airgap/${S1}/${S1}.tar" -C "$TARGET"`, '']);
    expect(windows(t)).toEqual(['  foreach ($s in $Chain) { tar -xf "$Drive\\airgap\\$s\\$s.tar" -C $Target }']);
  });
});

describe('restoreText for format 3 (block-gzipped tarballs)', () => {
  /** Format 2's text with every tarball name and tar command turned into format 3's, and nothing else. */
  const asFormat3 = (t: string) => t
    .replace(/\.tar(\.age)?(["'.\s`])/g, '.tar.gz$1$2')
    .replace(/tar -xpf /g, 'tar -xzpf ').replace(/tar -xf /g, 'tar -xzf ');

  it('differs from format 2 only in the tarballs\' names (.tar.gz) and tar -z, plain, encrypted, with deltas', () => {
    const chain: ChainLink[] = [{ id: S1, parts: true }, { id: S2, parts: false, deltaMembers: true }];
    const deltas: DeltaFile[] = [{ path: ODD, mtime: 1767225600, links: [{ n: 1, offset: 512, size: 5 * MiB, members: [{ first: 2, count: 1 }] }] }];
    for (const enc of [undefined, { driveKey: true }, { driveKey: false }]) {
      for (const d of [[], deltas]) {
        const three = restoreText(chain, d, enc, true);
        expect(three).toBe(asFormat3(restoreText(chain, d, enc)));
        expect(three).not.toMatch(/\.tar[^.]|tar -x[pf]/);
      }
    }
  });

  it('a full: tar -xzpf of <ID>.tar.gz; Windows tar -xzf; parts joined by cat, then tar -xzpf -', () => {
    const t = restoreText([{ id: S1, parts: false }], [], undefined, true);
    expect(linux(t)).toEqual([`    tar -xzpf "$DRIVE/airgap/${S1}/${S1}.tar.gz" -C "$TARGET"`, '']);
    expect(windows(t)).toEqual(['  foreach ($s in $Chain) { tar -xzf "$Drive\\airgap\\$s\\$s.tar.gz" -C $Target }']);
    expect(linux(restoreText([{ id: S1, parts: true }], [], undefined, true))).toEqual([`    cat "$DRIVE/airgap/${S1}/${S1}.tar.gz".[0-9][0-9][0-9] | tar -xzpf - -C "$TARGET"`, '']);
    expect(t).toContain('Parts (<ID>.tar.gz.000, .001, ...): join them first with  copy /b part0 + part1 + ... <ID>.tar.gz  in cmd.');
  });
});

describe('restoreText with deltas', () => {
  const mtimeA = Date.UTC(2026, 1, 15, 9, 12, 44) / 1000;
  const mtimeB = Date.UTC(2026, 1, 8, 9, 1, 3) / 1000;
  const chain: ChainLink[] = [{ id: S1, parts: true }, { id: S2, parts: false, deltaMembers: true }, { id: S3, parts: false, deltaMembers: true }];
  const deltas: DeltaFile[] = [
    {
      path: ODD, mtime: mtimeA, links: [
        { in: S2, n: 1, offset: 1536, size: 4456448, members: [{ first: 1, count: 1 }, { first: 3, count: 2 }] },
        { n: 1, offset: 2048, size: 2621440, members: [{ first: 0, count: 1 }, { first: 2, count: 1 }] },
      ],
    },
    { path: 'VMs/disk.img', mtime: mtimeB, links: [{ in: S2, n: 2, offset: 9728, size: 3 * MiB, members: [{ first: 2, count: 1 }] }] },
  ];
  const text = restoreText(chain, deltas);
  const q = `"$TARGET"/'Mail/it'\\''s $HOME "q" \`x\`.mbox'`;
  const ps = '"$Target\\Mail\\it\'s `$HOME `"q`" ``x``.mbox"';

  it('Linux: after each link, the truncating dd, a dd per member, touch after the last link, rm of .airgap-delta', () => {
    expect(linux(text)).toEqual([
      '  The dd lines write the changed blocks of large files into the copy extracted from an earlier',
      '  tarball, touch puts back their modification time, and rm removes the .airgap-delta folder the',
      '  blocks came in. Run every line in order; on any error, start again into a new, empty folder.',
      `    cat "$DRIVE/airgap/${S1}/${S1}.tar".[0-9][0-9][0-9] | tar -xpf - -C "$TARGET"`,
      `    tar -xpf "$DRIVE/airgap/${S2}/${S2}.tar" -C "$TARGET"`,
      `    dd if=/dev/null of=${q} bs=1 seek=4456448`,
      `    dd if="$TARGET/.airgap-delta/${S2}/1/1" of=${q} bs=1048576 seek=1 conv=notrunc`,
      `    dd if="$TARGET/.airgap-delta/${S2}/1/3" of=${q} bs=1048576 seek=3 conv=notrunc`,
      `    dd if=/dev/null of="$TARGET"/'VMs/disk.img' bs=1 seek=3145728`,
      `    dd if="$TARGET/.airgap-delta/${S2}/2/2" of="$TARGET"/'VMs/disk.img' bs=1048576 seek=2 conv=notrunc`,
      `    TZ=UTC0 touch -m -t 202602080901.03 "$TARGET"/'VMs/disk.img'`,
      '    rm -rf "$TARGET/.airgap-delta"',
      `    tar -xpf "$DRIVE/airgap/${S3}/${S3}.tar" -C "$TARGET"`,
      `    dd if=/dev/null of=${q} bs=1 seek=2621440`,
      `    dd if="$TARGET/.airgap-delta/${S3}/1/0" of=${q} bs=1048576 seek=0 conv=notrunc`,
      `    dd if="$TARGET/.airgap-delta/${S3}/1/2" of=${q} bs=1048576 seek=2 conv=notrunc`,
      `    TZ=UTC0 touch -m -t 202602150912.44 ${q}`,
      '    rm -rf "$TARGET/.airgap-delta"',
      '',
    ]);
  });

  it('Windows: one tar per link, then OpenWrite/SetLength, Position/Write, SetLastWriteTimeUtc, Remove-Item', () => {
    const member = (id: string, n: number, first: number) => `$b = [IO.File]::ReadAllBytes("$Target\\.airgap-delta\\${id}\\${n}\\${first}")`;
    const write = (p: string, first: number, id: string, n: number) =>
      `  $o = [IO.File]::OpenWrite(${p}); $o.Position = ${first * MiB}; ${member(id, n, first)}; $o.Write($b, 0, $b.Length); $o.Close()`;
    const disk = '"$Target\\VMs\\disk.img"';
    expect(windows(text)).toEqual([
      '  # After each tar: the changed blocks of large files, written in order (on any error, start again into a new, empty folder).',
      `  tar -xf "$Drive\\airgap\\${S1}\\${S1}.tar" -C $Target`,
      `  tar -xf "$Drive\\airgap\\${S2}\\${S2}.tar" -C $Target`,
      `  $o = [IO.File]::OpenWrite(${ps}); $o.SetLength(4456448); $o.Close()`,
      write(ps, 1, S2, 1),
      write(ps, 3, S2, 1),
      `  $o = [IO.File]::OpenWrite(${disk}); $o.SetLength(3145728); $o.Close()`,
      write(disk, 2, S2, 2),
      `  [IO.File]::SetLastWriteTimeUtc(${disk}, [DateTime]::new(2026, 2, 8, 9, 1, 3, [DateTimeKind]::Utc))`,
      '  Remove-Item -LiteralPath "$Target\\.airgap-delta" -Recurse -Force',
      `  tar -xf "$Drive\\airgap\\${S3}\\${S3}.tar" -C $Target`,
      `  $o = [IO.File]::OpenWrite(${ps}); $o.SetLength(2621440); $o.Close()`,
      write(ps, 0, S3, 1),
      write(ps, 2, S3, 1),
      `  [IO.File]::SetLastWriteTimeUtc(${ps}, [DateTime]::new(2026, 2, 15, 9, 12, 44, [DateTimeKind]::Utc))`,
      '  Remove-Item -LiteralPath "$Target\\.airgap-delta" -Recurse -Force',
    ]);
    // Big offsets are written out whole, never as 4.3e9.
    const big = restoreText([{ id: S1, parts: false }], [{ path: 'a', mtime: 0, links: [{ n: 1, offset: 0, size: 4396019409, members: [{ first: 4184, count: 3 }] }] }]);
    expect(big).toContain('$o.Position = 4387241984;');
    expect(big).toContain('    dd if="$TARGET/.airgap-delta/2026-02-01T120000Z/1/4184" of="$TARGET"/\'a\' bs=1048576 seek=4184 conv=notrunc');
  });

  it('the rest of the text is as without deltas', () => {
    const plain = restoreText(chain);
    const strip = (t: string) => t.split('\n').filter((l) => !linux(t).includes(l) && !windows(t).includes(l)).join('\n');
    expect(strip(text)).toBe(strip(plain));
  });

  it('a link whose delta members no line uses still gets its rm (sh and PowerShell), and a Windows tar line per link', () => {
    const t = restoreText([{ id: S1, parts: false }, { id: S2, parts: false, deltaMembers: true }, { id: S3, parts: false }]);
    expect(linux(t)).toEqual([
      '  The rm lines remove the .airgap-delta folder: blocks of large files that this snapshot does not need.',
      `    tar -xpf "$DRIVE/airgap/${S1}/${S1}.tar" -C "$TARGET"`,
      `    tar -xpf "$DRIVE/airgap/${S2}/${S2}.tar" -C "$TARGET"`,
      '    rm -rf "$TARGET/.airgap-delta"',
      `    tar -xpf "$DRIVE/airgap/${S3}/${S3}.tar" -C "$TARGET"`,
      '',
    ]);
    expect(windows(t).slice(1)).toEqual([
      `  tar -xf "$Drive\\airgap\\${S1}\\${S1}.tar" -C $Target`,
      `  tar -xf "$Drive\\airgap\\${S2}\\${S2}.tar" -C $Target`,
      '  Remove-Item -LiteralPath "$Target\\.airgap-delta" -Recurse -Force',
      `  tar -xf "$Drive\\airgap\\${S3}\\${S3}.tar" -C $Target`,
    ]);
  });

  it('a link with no members (a shrink to a block boundary) is the truncating dd alone', () => {
    const t = restoreText([{ id: S1, parts: false }, { id: S2, parts: false, deltaMembers: true }],
      [{ path: 'a b', mtime: 0, links: [{ n: 1, offset: 0, size: 2 * MiB, members: [] }] }]);
    expect(linux(t).filter((l) => l.startsWith('    ')).slice(2)).toEqual([
      `    dd if=/dev/null of="$TARGET"/'a b' bs=1 seek=${2 * MiB}`,
      `    TZ=UTC0 touch -m -t 197001010000.00 "$TARGET"/'a b'`,
      '    rm -rf "$TARGET/.airgap-delta"',
    ]);
  });

  it('touch -t and DateTime take the UTC fields, before 1970 too; a year past 9999 is a note, not a command', () => {
    const at = (mtime: number) => restoreText([{ id: S1, parts: false }], [{ path: 'f', mtime, links: [{ n: 1, offset: 0, size: 1, members: [{ first: 0, count: 1 }] }] }]);
    expect(at(-1)).toContain(`    TZ=UTC0 touch -m -t 196912312359.59 "$TARGET"/'f'`);
    expect(at(-1)).toContain('[DateTime]::new(1969, 12, 31, 23, 59, 59, [DateTimeKind]::Utc)');
    expect(at(Date.UTC(2038, 0, 19, 3, 14, 8) / 1000)).toContain('touch -m -t 203801190314.08 ');
    const far = at(253402300800); // 10000-01-01T00:00:00Z
    expect(far).not.toMatch(/touch -m|SetLastWriteTimeUtc/);
    expect(far).toContain("  (The modification time of 'f' cannot be put back with touch: 253402300800 is outside years 1 to 9999.)");
    expect(far).toContain('  # The modification time of f cannot be put back: 253402300800 is outside years 1 to 9999.');
  });

  it('refuses a path with a control character, and a link not in the chain', () => {
    const link: DeltaLink = { n: 1, offset: 0, size: 1, members: [{ first: 0, count: 1 }] };
    for (const path of ['new\nline', 'tab\there', 'cr\r', 'del\x7f', 'esc\x1b[31m']) {
      expect(() => restoreText([{ id: S1, parts: false }], [{ path, mtime: 0, links: [link] }]), JSON.stringify(path)).toThrow(/control character/);
    }
    expect(() => restoreText([{ id: S1, parts: false }], [{ path: 'f', mtime: 0, links: [{ ...link, in: S2 }] }])).toThrow(/not in the chain/);
    expect(() => restoreText([{ id: S1, parts: false }], [{ path: 'f', mtime: 0, links: [{ ...link, size: Number.NaN }] }])).toThrow(/whole number/);
  });

  it('shQuote single-quotes everything, a quote as \'\\\'\'', () => {
    expect(shQuote("it's")).toBe(`'it'\\''s'`);
    expect(shQuote('$x `y` "z" \\')).toBe(`'$x \`y\` "z" \\'`);
    expect(shQuote('')).toBe(`''`);
    const out = execFileSync('sh', ['-c', `printf %s ${shQuote(ODD)}`], { encoding: 'utf8' });
    expect(out).toBe(ODD);
  });
});

// ---------------------------------------------------------------------------------------------
// A fake chain, written by hand with GNU tar, and every snapshot's RESTORE.txt run literally.

interface Written { id: string; chain: ChainLink[]; deltas: DeltaFile[]; expected: Snapshot; files: Map<string, { bytes: Buffer; mtime: number }> }

const BIG_A = ODD;
const BIG_B = 'VMs/disk.img';

let root: string;
let src: string;
let drive: string;
const written: Written[] = [];

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const blockList = (b: Buffer) => Array.from({ length: Math.ceil(b.length / MiB) }, (_, k) => sha(b.subarray(k * MiB, (k + 1) * MiB)));

/** The changed blocks of `neu` against `old` (spec: k ≥ the old count, or its hash differs), as members of at most 64 blocks. */
function changedMembers(old: Buffer, neu: Buffer): DeltaMember[] {
  const a = blockList(old), b = blockList(neu);
  const out: DeltaMember[] = [];
  for (let k = 0; k < b.length; k++) {
    if (k < a.length && a[k] === b[k]) continue;
    const last = out.at(-1);
    if (last && last.first + last.count === k && last.count < 64) last.count++;
    else out.push({ first: k, count: 1 });
  }
  return out;
}

function bytes(seed: number, n: number): Buffer {
  const rng = new Mulberry32(seed);
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i += 4) b.writeUInt32LE(rng.next(), Math.min(i, n - 4));
  return b;
}

/** Summary for comparison: content as its SHA-256 (a diff of 3.5 MiB base64 helps nobody). */
async function tree(dir: string): Promise<Snapshot> {
  const t = await readTree(dir);
  for (const v of Object.values(t)) if (v.content !== undefined) v.content = sha(Buffer.from(v.content, 'base64'));
  return t;
}

const gnuTar = (args: string[], cwd: string) => execFileSync('tar', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });

/**
 * One snapshot: `whole` are the paths stored whole (plus every folder), `changed` the delta'd
 * files this link stores by blocks (against their content in `before`), numbered 1, 2, … in that
 * order; `deltas` of its manifest are the carried ones from the snapshot before plus these.
 */
async function snapshot(id: string, prior: Written | undefined, whole: string[], changed: string[], removed: string[]): Promise<void> {
  const folder = join(drive, 'airgap', id);
  await mkdir(folder, { recursive: true });
  const stage = await mkdtemp(join(root, 'stage-'));
  const names: string[] = ['Mail', 'VMs'];
  for (const p of whole) names.push(p);
  const files = new Map<string, { bytes: Buffer; mtime: number }>();
  for (const p of ['notes.txt', 'old.txt', BIG_A, BIG_B]) {
    const st = await stat(join(src, p)).catch(() => undefined);
    if (st) files.set(p, { bytes: await readFile(join(src, p)), mtime: Math.floor(st.mtimeMs / 1000) });
  }
  // The manifest's delta field: carried from the snapshot before (`in` made explicit), unless stored whole now.
  const deltas: DeltaFile[] = [];
  for (const p of [BIG_A, BIG_B]) {
    if (whole.includes(p)) continue;
    const before = prior?.deltas.find((d) => d.path === p);
    const links: DeltaLink[] = (before?.links ?? []).map((l) => ({ ...l, in: l.in ?? prior!.id }));
    const n = changed.indexOf(p) + 1;
    if (n > 0) {
      const old = prior!.files.get(p)!.bytes, neu = files.get(p)!;
      const members = changedMembers(old, neu.bytes);
      for (const m of members) {
        const name = `.airgap-delta/${id}/${n}/${m.first}`;
        await mkdir(dirname(join(stage, name)), { recursive: true });
        await writeFile(join(stage, name), neu.bytes.subarray(m.first * MiB, Math.min((m.first + m.count) * MiB, neu.bytes.length)), { mode: 0o600 });
        await utimes(join(stage, name), neu.mtime, neu.mtime);
        names.push(name);
      }
      links.push({ n, offset: 512, size: neu.bytes.length, members });
    }
    if (links.length) deltas.push({ path: p, mtime: files.get(p)!.mtime, links });
  }
  const list = join(root, `${id}.list`);
  // Whole members from the source, delta members from the stage: two -C in one archive.
  const fromSrc = names.filter((n) => !n.startsWith('.airgap-delta/'));
  const fromStage = names.filter((n) => n.startsWith('.airgap-delta/'));
  await writeFile(list, fromSrc.map((n) => `${n}\0`).join(''));
  const tarball = join(folder, `${id}.tar`);
  gnuTar(['--format=pax', '-cf', tarball, '--no-recursion', '--null', '-T', list], src);
  if (fromStage.length) {
    await writeFile(`${list}2`, fromStage.map((n) => `${n}\0`).join(''));
    gnuTar(['--format=pax', '-rf', tarball, '--no-recursion', '--null', '-T', `${list}2`], stage);
  }
  const chain: ChainLink[] = [...(prior?.chain.map((l) => ({ id: l.id, parts: false, ...(l.deltaMembers ? { deltaMembers: true } : {}) })) ?? []),
    { id, parts: false, ...(fromStage.length ? { deltaMembers: true } : {}) }];
  await writeFile(join(folder, REMOVE_FILE), removed.map((p) => `${p}\0`).join(''));
  await writeFile(join(folder, 'FILES.sha256.gz'), gzipSync([...files].map(([name, f]) => formatSumLine({ sha256: sha(f.bytes), name })).join('')));
  await writeFile(join(folder, RESTORE_FILE), restoreText(chain, deltas));
  const sums = [];
  for (const name of [`${id}.tar`, REMOVE_FILE, 'FILES.sha256.gz', RESTORE_FILE]) sums.push(formatSumLine({ sha256: sha(await readFile(join(folder, name))), name }));
  await writeFile(join(folder, 'SHA256SUMS'), sums.join(''));
  written.push({ id, chain, deltas, expected: await tree(src), files });
  await rm(stage, { recursive: true, force: true });
}

/** Write `b` into `p` (the file as it is edited in place keeps its inode) and give it an mtime. */
async function put(p: string, b: Buffer, mtime: number): Promise<void> {
  await mkdir(dirname(join(src, p)), { recursive: true });
  await writeFile(join(src, p), b);
  await utimes(join(src, p), mtime, mtime);
}

const day = (d: number, h: number, m: number, s: number) => Date.UTC(2026, 1, d, h, m, s) / 1000;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'airgap-restore-text-'));
  src = join(root, 'src');
  drive = join(root, 'drive');
  // S1, a full: two 3.5 MiB and 3 MiB files, two small ones.
  let a = bytes(1, 3.5 * MiB);
  let b = bytes(2, 3 * MiB);
  await put(BIG_A, a, day(1, 8, 0, 1));
  await put(BIG_B, b, day(1, 8, 0, 2));
  await put('notes.txt', Buffer.from('notes 1\n'), day(1, 8, 0, 3));
  await put('old.txt', Buffer.from('to be deleted\n'), day(1, 8, 0, 4));
  await snapshot(S1, undefined, [BIG_A, BIG_B, 'notes.txt', 'old.txt'], [], []);
  // S2: A edited in place in block 1 and grown to 4.25 MiB (block 3 grows, block 4 is new); B edited in block 2.
  a = Buffer.concat([a, bytes(3, 0.75 * MiB)]);
  a.write('edited in S2', 1 * MiB + 1000);
  b = Buffer.from(b);
  b.write('edited in S2', 2 * MiB + 5);
  await put(BIG_A, a, day(8, 9, 12, 44));
  await put(BIG_B, b, day(8, 9, 1, 3));
  await put('notes.txt', Buffer.from('notes 2\n'), day(8, 9, 0, 0));
  await snapshot(S2, written[0], ['notes.txt'], [BIG_A, BIG_B], []);
  // S3: A shrunk to 2.5 MiB (block 2 shrinks, 3 and 4 go) and edited in block 0; B unchanged; old.txt deleted.
  a = Buffer.from(a.subarray(0, 2.5 * MiB));
  a.write('edited in S3', 10);
  await put(BIG_A, a, day(15, 10, 30, 59));
  await rm(join(src, 'old.txt'));
  await snapshot(S3, written[1], [], [BIG_A], ['old.txt']);
  // S4: A rewritten whole (S3's members are then used by no line of S4); B still as in S2.
  await put(BIG_A, bytes(4, 2 * MiB + 77), day(22, 11, 0, 0));
  await snapshot(S4, written[2], [BIG_A], [], ['old.txt']);
}, 120_000);

afterAll(() => rm(root, { recursive: true, force: true }));

/** A folder whose tar, dd, touch and the rest are busybox's applets (`busybox sh` alone would run coreutils' dd and touch). */
async function busyboxBin(): Promise<string> {
  const bin = join(root, 'bin-busybox-all');
  await mkdir(bin, { recursive: true });
  for (const tool of ['tar', 'dd', 'touch', 'rm', 'cat', 'mkdir', 'xargs', 'sha256sum']) {
    await writeFile(join(bin, tool), `#!/bin/sh\nexec busybox ${tool} "$@"\n`, { mode: 0o755 });
  }
  return bin;
}

async function shimFor(label: string, tarCommand: string | undefined): Promise<string> {
  if (!tarCommand) return process.env.PATH!;
  if (tarCommand.startsWith('busybox')) return `${await busyboxBin()}:${process.env.PATH}`;
  const bin = join(root, `bin-${label.replace(/\W+/g, '-')}`);
  await mkdir(bin, { recursive: true });
  await writeFile(join(bin, 'tar'), `#!/bin/sh\nexec ${tarCommand} "$@"\n`, { mode: 0o755 });
  return `${bin}:${process.env.PATH}`;
}

const hasTool = (cmd: string) => { try { execFileSync(cmd, ['--help'], { stdio: 'ignore' }); return true; } catch (e) { return (e as { code?: string }).code !== 'ENOENT'; } };

describe('RESTORE.txt with deltas, run literally on a chain made by GNU tar', () => {
  it('the fake chain is what it means to be: deltas in S2 and S3, carried in S4, members in the tarballs', () => {
    expect(written.map((w) => w.deltas.map((d) => [d.path, d.links.map((l) => `${l.in ?? '.'}/${l.n}:${l.size}:${l.members.map((m) => `${m.first}+${m.count}`).join(',')}`)]))).toEqual([
      [],
      [[BIG_A, ['./1:4456448:1+1,3+2']], [BIG_B, ['./2:3145728:2+1']]],
      [[BIG_A, [`${S2}/1:4456448:1+1,3+2`, './1:2621440:0+1,2+1']], [BIG_B, [`${S2}/2:3145728:2+1`]]],
      [[BIG_B, [`${S2}/2:3145728:2+1`]]],
    ]);
    expect(written[3]!.chain.map((l) => !!l.deltaMembers)).toEqual([false, true, true, false]);
    const listing = execFileSync('tar', ['-tf', join(drive, 'airgap', S2, `${S2}.tar`)], { encoding: 'utf8' });
    expect(listing.split('\n').filter((l) => l.startsWith('.airgap-delta'))).toEqual([`.airgap-delta/${S2}/1/1`, `.airgap-delta/${S2}/1/3`, `.airgap-delta/${S2}/2/2`]);
    const text = readFileSync(join(drive, 'airgap', S4, RESTORE_FILE), 'utf8');
    expect(text).not.toContain(`.airgap-delta/${S3}/`);
    expect(text).toContain(`    tar -xpf "$DRIVE/airgap/${S3}/${S3}.tar" -C "$TARGET"\n    rm -rf "$TARGET/.airgap-delta"\n`);
  });

  it('sha256sum -c SHA256SUMS passes in every snapshot folder', () => {
    for (const w of written) execFileSync('sha256sum', ['-c', '--quiet', 'SHA256SUMS'], { cwd: join(drive, 'airgap', w.id), stdio: ['ignore', 'pipe', 'pipe'] });
  });

  for (const [label, shell, tarCommand] of STOCK_RUNS) {
    const tool = tarCommand?.split(' ')[0] ?? 'tar';
    it.skipIf(!hasTool(tool) || !hasTool(shell[0]!))(`${label}: every snapshot comes back byte for byte, with its mtimes, and no .airgap-delta`, async () => {
      const path = await shimFor(label, tarCommand);
      for (const w of written) {
        const home = await mkdtemp(join(root, 'home-'));
        const out = runScript(shell, await restoreScript(join(drive, 'airgap', w.id, RESTORE_FILE), drive), { PATH: path, HOME: home });
        expect(out).not.toMatch(/FAILED/);
        expect(out).toContain(`${ODD}: OK`);
        const target = join(home, `restored-${w.id}`);
        expect(await tree(target), `${label}: ${w.id}`).toEqual(w.expected);
        for (const [p, f] of w.files) {
          const got = await readFile(join(target, p));
          expect(got.equals(f.bytes), `${label}: ${w.id} ${p} byte for byte`).toBe(true);
          expect(Math.floor((await stat(join(target, p))).mtimeMs / 1000), `${label}: ${w.id} ${p} mtime`).toBe(f.mtime);
        }
        await rm(home, { recursive: true, force: true });
      }
    });
  }
});

