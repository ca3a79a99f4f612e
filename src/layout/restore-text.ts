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
import { DRIVE_DIR, DRIVE_KEY_FILE, FILE_SUMS_FILE_GZ, REMOVE_FILE, sealedName, SUMS_FILE, tarballName } from './format.js';
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
 * How an encrypted snapshot's files are opened with the stock age CLI: the drive key from KEY.age
 * (the passphrase; `driveKey`) or a key file of the user's own, copied into a scratch folder that
 * the last step removes; the lists are decrypted there before use (a list cut short in a pipe
 * would pass as a short list).
 */
export interface RestoreEncryption {
  /** The drive carries KEY.age (the rotation has a drive key, opened by the passphrase). */
  driveKey: boolean;
}

/** The lines of each step that differ between a plain and an encrypted snapshot. */
interface Variant {
  /** Step 0's lines after mkdir (the key), sh. */
  key: string;
  extract: (l: ChainLink) => string;
  remove: string;
  check: string;
  /** A last step (removing the decrypted key). */
  cleanup: string;
  psKey: string;
  psExtract: (id: string) => string;
  psRemoveFile: string;
  psParts: string;
}

function variant(self: string, enc: RestoreEncryption | undefined, compressed: boolean): Variant {
  const dir = (id: string) => `"$DRIVE/${DRIVE_DIR}/${id}"`;
  const tar = (id: string) => `"$DRIVE/${DRIVE_DIR}/${id}/${tarballName(id, enc !== undefined, compressed)}"`;
  // Format 3: the tarball is concatenated gzip members, which GNU tar, bsdtar and busybox tar all
  // extract with -z (test/io/gzip-blocks-tools.test.ts); Windows' tar.exe is bsdtar.
  const x = compressed ? '-xzpf' : '-xpf';
  const wx = compressed ? '-xzf' : '-xf';
  const stored = (id: string) => tarballName(id, false, compressed);
  if (!enc) {
    return {
      key: '',
      extract: (l) => (l.parts ? `    cat ${tar(l.id)}.[0-9][0-9][0-9] | tar ${x} - -C "$TARGET"` : `    tar ${x} ${tar(l.id)} -C "$TARGET"`),
      remove: `    (cd "$TARGET" && xargs -0 rm -rf -- < ${dir(self)}/${REMOVE_FILE})
  ${REMOVE_FILE} lists paths inside TARGET, each ended by a NUL byte; run this only inside TARGET.`,
      check: `    (cd "$TARGET" && gunzip -t ${dir(self)}/${FILE_SUMS_FILE_GZ} && gunzip -c ${dir(self)}/${FILE_SUMS_FILE_GZ} | sha256sum -c)
  ${FILE_SUMS_FILE_GZ} is the gzipped list of every file's SHA-256 (gunzip -t first checks that
  it is whole). macOS: use shasum -a 256 -c instead of sha256sum -c.`,
      cleanup: '',
      psKey: '',
      psExtract: (id) => `  tar ${wx} "$Drive\\${DRIVE_DIR}\\${id}\\${stored(id)}" -C $Target`,
      psRemoveFile: `"$Drive\\${DRIVE_DIR}\\${self}\\${REMOVE_FILE}"`,
      psParts: `  Parts (${stored('<ID>')}.000, .001, ...): join them first with  copy /b part0 + part1 + ... ${stored('<ID>')}  in cmd.\n`,
    };
  }
  const age = 'age -d -i "$WORK/key.txt"';
  const key = enc.driveKey
    ? `    age -d -o "$WORK/key.txt" "$DRIVE/${DRIVE_DIR}/${DRIVE_KEY_FILE}"
  age asks for the drive's passphrase: it opens ${DRIVE_KEY_FILE}, the drive's key. If you hold a key
  file of your own that this drive is encrypted to, use it instead:
  Own key:  cp /path/to/your-key.txt "$WORK/key.txt"`
    : `    KEYFILE=/path/to/your-key.txt
  Replace /path/to/your-key.txt by your age key file (AGE-SECRET-KEY-1...), kept away from the drives.
    cp "$KEYFILE" "$WORK/key.txt"`;
  return {
    key: `
  This snapshot is ENCRYPTED with age (https://age-encryption.org). You need the age tool
  (Debian, Ubuntu: apt install age; macOS: brew install age; Windows: winget install
  FiloSottile.age) and ${enc.driveKey ? 'the passphrase of this drive, or a key file of your own' : 'your key file'}.
  The key goes into a scratch folder (the last step removes it):
    WORK="$(mktemp -d)"
${key}`,
    extract: (l) => (l.parts ? `    cat ${tar(l.id)}.[0-9][0-9][0-9] | ${age} | tar ${x} - -C "$TARGET"` : `    ${age} ${tar(l.id)} | tar ${x} - -C "$TARGET"`),
    // A redirection, not -o: age 1.1 creates its -o file only when it writes a byte, and an empty REMOVE.nul has none.
    // One line: a list age could not decrypt whole is never acted on.
    remove: `    ${age} ${dir(self)}/${sealedName(REMOVE_FILE, true)} > "$WORK/${REMOVE_FILE}" && (cd "$TARGET" && xargs -0 rm -rf -- < "$WORK/${REMOVE_FILE}")
  ${REMOVE_FILE} lists paths inside TARGET, each ended by a NUL byte; run this only inside TARGET.`,
    check: `    ${age} ${dir(self)}/${sealedName(FILE_SUMS_FILE_GZ, true)} > "$WORK/${FILE_SUMS_FILE_GZ}" && (cd "$TARGET" && gunzip -t "$WORK/${FILE_SUMS_FILE_GZ}" && gunzip -c "$WORK/${FILE_SUMS_FILE_GZ}" | sha256sum -c)
  ${FILE_SUMS_FILE_GZ} is the gzipped list of every file's SHA-256 (gunzip -t first checks that
  it is whole). macOS: use shasum -a 256 -c instead of sha256sum -c.`,
    cleanup: `
5. Remove the scratch folder: it holds the key, unencrypted
    rm -rf "$WORK"
`,
    psKey: `  $Work = New-Item -ItemType Directory (Join-Path $env:TEMP ([guid]::NewGuid()))   # removed at the end
${enc.driveKey ? `  age -d -o "$Work\\key.txt" "$Drive\\${DRIVE_DIR}\\${DRIVE_KEY_FILE}"          # asks for the passphrase (or copy your own key file there)` : `  Copy-Item 'C:\\path\\to\\your-key.txt' "$Work\\key.txt"          # your age key file`}
`,
    // PowerShell 5 pipes text, not bytes: the age | tar pipe runs in cmd.
    psExtract: (id) => `  cmd /c "age -d -i \`"$Work\\key.txt\`" \`"$Drive\\${DRIVE_DIR}\\${id}\\${tarballName(id, true, compressed)}\`" | tar ${wx} - -C \`"$Target\`""`,
    psRemoveFile: `"$Work\\${REMOVE_FILE}"`,
    psParts: `  Parts (${tarballName('<ID>', true, compressed)}.000, .001, ...): join them first with  copy /b part0 + part1 + ... ${tarballName('<ID>', true, compressed)}  in cmd.
  Check the restored files: age -d -i "$Work\\key.txt" -o "$Work\\FILES.sha256.gz" the snapshot's ${sealedName(FILE_SUMS_FILE_GZ, true)}.
  Finally: Remove-Item -Recurse -Force $Work   (it holds the key, unencrypted)
`,
  };
}

/**
 * `chain`: oldest first, the snapshot itself last (a full: itself alone). `deltas`: the delta'd
 * files of this snapshot's manifest, in manifest order (none: the text is as it was before deltas).
 * `compressed`: format 3, every tarball of the chain is `<ID>.tar.gz` (a chain never mixes formats).
 */
export function restoreText(chain: readonly ChainLink[], deltas: readonly DeltaFile[] = [], enc?: RestoreEncryption, compressed = false): string {
  const self = chain.at(-1)!;
  const { steps, any, dd } = deltaSteps(chain, deltas);
  const dir = (id: string) => `"$DRIVE/${DRIVE_DIR}/${id}"`;
  const x = variant(self.id, enc, compressed);
  const extract = x.extract;
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
${chain.flatMap((l) => [x.psExtract(l.id), ...steps.get(l.id)!.ps]).join('\n')}`
    : enc ? chain.map((l) => x.psExtract(l.id)).join('\n') : `  foreach ($s in $Chain) { tar ${compressed ? '-xzf' : '-xf'} "$Drive\\${DRIVE_DIR}\\$s\\${tarballName('$s', false, compressed)}" -C $Target }`;
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
    mkdir -p "$TARGET"${x.key}

1. Check every snapshot of the chain (every line must say OK)
${chain.map((l) => `    (cd ${dir(l.id)} && sha256sum -c ${SUMS_FILE})`).join('\n')}
  macOS: use shasum -a 256 -c instead of sha256sum -c.

2. Extract the chain, oldest first, into TARGET
${note}${extractAll}

3. Remove what this snapshot no longer held (files deleted since an older snapshot of the chain)
${x.remove}

4. Check the restored files (every line must say OK)
${x.check}
${x.cleanup}
Windows (PowerShell; tar is built into Windows 10 and later)
------------------------------------------------------------
  $Drive = 'E:\\'                                # this drive's letter
  $Target = "$HOME\\restored-${self.id}"          # a new folder on ANOTHER disk
  $Chain = ${ps}
  foreach ($s in $Chain) { Get-Content "$Drive\\${DRIVE_DIR}\\$s\\${SUMS_FILE}" | ForEach-Object { $h, $f = $_ -split '  ', 2
      if ((Get-FileHash -Algorithm SHA256 -LiteralPath "$Drive\\${DRIVE_DIR}\\$s\\$f").Hash -ieq $h) { "OK  $s\\$f" } else { "FAILED  $s\\$f" } } }
  New-Item -ItemType Directory -Force $Target
${x.psKey}${psExtract}
${enc ? `  cmd /c "age -d -i \`"$Work\\key.txt\`" \`"$Drive\\${DRIVE_DIR}\\${self.id}\\${sealedName(REMOVE_FILE, true)}\`" > \`"$Work\\${REMOVE_FILE}\`""\n` : ''}  ([IO.File]::ReadAllText(${x.psRemoveFile})).Split([char]0) | Where-Object { $_ } |
      ForEach-Object { Remove-Item -LiteralPath (Join-Path $Target $_) -Recurse -Force -ErrorAction SilentlyContinue }
${x.psParts}`;
}
