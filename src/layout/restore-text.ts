// RESTORE.txt, written in each format-2 snapshot folder (docs/FORMAT.md): the exact commands
// that restore THIS snapshot with stock tools, its chain spelled out with the real ids, so that
// nobody has to work out which tarballs an increment needs. Same layout as the drive's README
// (layout/drive-readme.ts): in the Linux and macOS part, a command to type is a line indented by
// exactly four spaces, in order; prose is indented by two. The Windows part indents by two (its
// continuation lines by six). Followed literally by test/e2e/chain-stock-restore.test.ts.
//
// Block delta (/work/delta-spec.md "Stock restore"): after each link's extraction, the delta'd
// files that link changed get their new size (a truncating `dd` from /dev/null; PowerShell
// SetLength) and their changed blocks (`dd … conv=notrunc` from the `.airgap-delta/<ID>/<n>/<first>`
// members just extracted; PowerShell Position/Write), then, after a file's last such link, its
// mtime (`touch`; SetLastWriteTimeUtc), and the `.airgap-delta` folder is removed. Without deltas
// the text is exactly what it was before them.
import { BLOCK_SIZE } from '../core/block-delta.js';
import { DELTA_DIR, deltaMemberName } from './delta-file.js';
import { DRIVE_DIR, FILE_SUMS_FILE_GZ, REMOVE_FILE, SUMS_FILE, tarballName } from './format.js';
import { README_DRIVE_PLACEHOLDER } from './drive-readme.js';
import type { DeltaLink } from './manifest.js';

export { REMOVE_FILE, RESTORE_FILE } from './format.js';

export interface ChainLink {
  id: string;
  /** Its tarball is in parts (`<ID>.tar.000`, …) rather than one `<ID>.tar`. */
  parts: boolean;
  /** Its tarball holds `.airgap-delta` members (even ones no file of this snapshot uses): removed after its extraction. */
  deltaMembers?: boolean;
}

/** A delta'd file of this snapshot's manifest (a line with a `delta` field). */
export interface DeltaFile {
  /** Path inside the archive, '/'-separated (never one with a control character). */
  path: string;
  /** The line's mtime, whole seconds since the epoch. */
  mtime: number;
  /** The line's `delta` field: the links that changed it block by block, oldest first (`in` undefined: this snapshot). */
  links: readonly DeltaLink[];
}

/** The block size of the deltas: the `bs=` of the block `dd` lines. */
const BLOCK = BLOCK_SIZE;

/** A word for a POSIX shell, always single-quoted (`'\''` for a quote inside). */
export const shQuote = (v: string): string => `'${v.replace(/'/g, `'\\''`)}'`;

/** Inside a PowerShell double-quoted string: backtick, `$` and the double quotes (PowerShell takes “ ” „ for " too) escaped by a backtick. */
const psEscape = (v: string): string => v.replace(/[`$"\u201c\u201d\u201e]/g, (c) => `\`${c}`);

/** The UTC fields of an mtime, or undefined outside years 1 to 9999 (touch -t and .NET DateTime both stop there). */
function utc(mtime: number): { y: number; mo: number; d: number; h: number; mi: number; s: number } | undefined {
  const t = new Date(Math.floor(mtime) * 1000);
  const y = t.getUTCFullYear();
  if (!Number.isFinite(t.getTime()) || y < 1 || y > 9999) return undefined;
  return { y, mo: t.getUTCMonth() + 1, d: t.getUTCDate(), h: t.getUTCHours(), mi: t.getUTCMinutes(), s: t.getUTCSeconds() };
}

const whole = (what: string, v: number): number => {
  if (!Number.isSafeInteger(v) || v < 0) throw new Error(`RESTORE.txt: a delta's ${what} is not a whole number: ${v}`);
  return v;
};

interface LinkSteps { sh: string[]; ps: string[] }

/** The lines after each link's extraction (sh, PowerShell), by link id; `any` when a link has some. */
function deltaSteps(chain: readonly ChainLink[], deltas: readonly DeltaFile[]): { steps: Map<string, LinkSteps>; any: boolean; dd: boolean } {
  const self = chain.at(-1)!.id;
  const ids = new Set(chain.map((l) => l.id));
  const idOf = (l: DeltaLink) => l.in ?? self;
  for (const f of deltas) {
    if (/[\x00-\x1f\x7f]/.test(f.path)) throw new Error(`RESTORE.txt: a delta'd file's path has a control character: ${JSON.stringify(f.path)}`);
    for (const l of f.links) if (!ids.has(idOf(l))) throw new Error(`RESTORE.txt: ${JSON.stringify(f.path)} has a delta link in ${idOf(l)}, which is not in the chain`);
  }
  const steps = new Map<string, LinkSteps>();
  let any = false;
  let dd = false;
  for (const link of chain) {
    const sh: string[] = [];
    const ps: string[] = [];
    const shFile = (p: string) => `"$TARGET"/${shQuote(p)}`;
    const psFile = (p: string) => `"$Target\\${psEscape(p.replace(/\//g, '\\'))}"`;
    for (const f of deltas) {
      for (const l of f.links.filter((x) => idOf(x) === link.id)) {
        const size = whole('size', l.size);
        const n = whole('n', l.n);
        sh.push(`    dd if=/dev/null of=${shFile(f.path)} bs=1 seek=${size}`);
        ps.push(`  $o = [IO.File]::OpenWrite(${psFile(f.path)}); $o.SetLength(${size}); $o.Close()`);
        for (const m of l.members) {
          const first = whole('first block', m.first);
          const member = deltaMemberName(link.id, n, first);
          sh.push(`    dd if="$TARGET/${member}" of=${shFile(f.path)} bs=${BLOCK} seek=${first} conv=notrunc`);
          ps.push(`  $o = [IO.File]::OpenWrite(${psFile(f.path)}); $o.Position = ${BigInt(first) * BigInt(BLOCK)}; $b = [IO.File]::ReadAllBytes("$Target\\${member.replace(/\//g, '\\')}"); $o.Write($b, 0, $b.Length); $o.Close()`);
        }
        dd = true;
      }
    }
    for (const f of deltas) {
      const last = f.links.at(-1);
      if (!last || idOf(last) !== link.id) continue;
      const t = utc(f.mtime);
      const p2 = (v: number) => String(v).padStart(2, '0');
      if (!t) {
        sh.push(`  (The modification time of ${shQuote(f.path)} cannot be put back with touch: ${f.mtime} is outside years 1 to 9999.)`);
        ps.push(`  # The modification time of ${f.path} cannot be put back: ${f.mtime} is outside years 1 to 9999.`);
        continue;
      }
      sh.push(`    TZ=UTC0 touch -m -t ${String(t.y).padStart(4, '0')}${p2(t.mo)}${p2(t.d)}${p2(t.h)}${p2(t.mi)}.${p2(t.s)} ${shFile(f.path)}`);
      ps.push(`  [IO.File]::SetLastWriteTimeUtc(${psFile(f.path)}, [DateTime]::new(${t.y}, ${t.mo}, ${t.d}, ${t.h}, ${t.mi}, ${t.s}, [DateTimeKind]::Utc))`);
    }
    if (link.deltaMembers || sh.length) {
      sh.push(`    rm -rf "$TARGET/${DELTA_DIR}"`);
      ps.push(`  Remove-Item -LiteralPath "$Target\\${DELTA_DIR}" -Recurse -Force`);
    }
    if (sh.length) any = true;
    steps.set(link.id, { sh, ps });
  }
  return { steps, any, dd };
}

/**
 * `chain`: oldest first, the snapshot itself last (a full: itself alone). `deltas`: the delta'd
 * files of this snapshot's manifest, in manifest order (none: the text is as it was before deltas).
 */
export function restoreText(chain: readonly ChainLink[], deltas: readonly DeltaFile[] = []): string {
  const self = chain.at(-1)!;
  const { steps, any, dd } = deltaSteps(chain, deltas);
  const dir = (id: string) => `"$DRIVE/${DRIVE_DIR}/${id}"`;
  const extract = (l: ChainLink) => (l.parts
    ? `    cat "$DRIVE/${DRIVE_DIR}/${l.id}/${tarballName(l.id)}".[0-9][0-9][0-9] | tar -xpf - -C "$TARGET"`
    : `    tar -xpf "$DRIVE/${DRIVE_DIR}/${l.id}/${tarballName(l.id)}" -C "$TARGET"`);
  const what = chain.length === 1
    ? 'a FULL snapshot: its own tarball holds every file.'
    : `an INCREMENT: its tarball holds only what changed since the snapshot before it. Restoring it\n  takes the ${chain.length} tarballs of its chain, oldest first:\n${chain.map((l) => `      ${l.id}`).join('\n')}`;
  const ps = chain.map((l) => `'${l.id}'`).join(', ');
  const note = !any ? '' : dd
    ? `  The dd lines write the changed blocks of large files into the copy extracted from an earlier
  tarball, touch puts back their modification time, and rm removes the .airgap-delta folder the
  blocks came in. Run every line in order; on any error, start again into a new, empty folder.\n`
    : '  The rm lines remove the .airgap-delta folder: blocks of large files that this snapshot does not need.\n';
  const extractAll = any
    ? chain.flatMap((l) => [extract(l), ...steps.get(l.id)!.sh]).join('\n')
    : chain.map(extract).join('\n');
  const psExtract = any
    ? `  # After each tar: the changed blocks of large files, written in order (on any error, start again into a new, empty folder).
${chain.flatMap((l) => [`  tar -xf "$Drive\\${DRIVE_DIR}\\${l.id}\\${tarballName(l.id)}" -C $Target`, ...steps.get(l.id)!.ps]).join('\n')}`
    : `  foreach ($s in $Chain) { tar -xf "$Drive\\${DRIVE_DIR}\\$s\\$s.tar" -C $Target }`;
  return `RESTORE SNAPSHOT ${self.id} WITH STOCK TOOLS
${'='.repeat(32 + self.id.length)}

This snapshot is ${what}

Linux and macOS
---------------
  Type the indented commands in a terminal (sh, bash or zsh), in order.

0. Where this drive is, and where to restore to (a NEW, empty folder, NOT on this drive)
    DRIVE=${README_DRIVE_PLACEHOLDER}
  Replace ${README_DRIVE_PLACEHOLDER} by the folder that holds the "${DRIVE_DIR}" folder.
    TARGET="$HOME/restored-${self.id}"
    mkdir -p "$TARGET"

1. Check every snapshot of the chain (every line must say OK)
${chain.map((l) => `    (cd ${dir(l.id)} && sha256sum -c ${SUMS_FILE})`).join('\n')}
  macOS: use shasum -a 256 -c instead of sha256sum -c.

2. Extract the chain, oldest first, into TARGET
${note}${extractAll}

3. Remove what this snapshot no longer held (files deleted since an older snapshot of the chain)
    (cd "$TARGET" && xargs -0 rm -rf -- < ${dir(self.id)}/${REMOVE_FILE})
  ${REMOVE_FILE} lists paths inside TARGET, each ended by a NUL byte; run this only inside TARGET.

4. Check the restored files (every line must say OK)
    (cd "$TARGET" && gunzip -t ${dir(self.id)}/${FILE_SUMS_FILE_GZ} && gunzip -c ${dir(self.id)}/${FILE_SUMS_FILE_GZ} | sha256sum -c)
  ${FILE_SUMS_FILE_GZ} is the gzipped list of every file's SHA-256 (gunzip -t first checks that
  it is whole). macOS: use shasum -a 256 -c instead of sha256sum -c.

Windows (PowerShell; tar is built into Windows 10 and later)
------------------------------------------------------------
  $Drive = 'E:\\'                                # this drive's letter
  $Target = "$HOME\\restored-${self.id}"          # a new folder on ANOTHER disk
  $Chain = ${ps}
  foreach ($s in $Chain) { Get-Content "$Drive\\${DRIVE_DIR}\\$s\\${SUMS_FILE}" | ForEach-Object { $h, $f = $_ -split '  ', 2
      if ((Get-FileHash -Algorithm SHA256 -LiteralPath "$Drive\\${DRIVE_DIR}\\$s\\$f").Hash -ieq $h) { "OK  $s\\$f" } else { "FAILED  $s\\$f" } } }
  New-Item -ItemType Directory -Force $Target
${psExtract}
  ([IO.File]::ReadAllText("$Drive\\${DRIVE_DIR}\\${self.id}\\${REMOVE_FILE}")).Split([char]0) | Where-Object { $_ } |
      ForEach-Object { Remove-Item -LiteralPath (Join-Path $Target $_) -Recurse -Force -ErrorAction SilentlyContinue }
  Parts (<ID>.tar.000, .001, ...): join them first with  copy /b part0 + part1 + ... <ID>.tar  in cmd.
`;
}
