// RESTORE.txt, written in each format-2 snapshot folder (docs/FORMAT-v2.md): the exact commands
// that restore THIS snapshot with stock tools, its chain spelled out with the real ids, so that
// nobody has to work out which tarballs an increment needs. Same layout as the drive's README
// (layout/drive-readme.ts): in the Linux and macOS part, a command to type is a line indented by
// exactly four spaces, in order; prose is indented by two. The Windows part indents by two (its
// continuation lines by six). Followed literally by test/e2e/chain-stock-restore.test.ts.
import { DRIVE_DIR, FILE_SUMS_FILE, REMOVE_FILE, SUMS_FILE, tarballName } from './format.js';
import { README_DRIVE_PLACEHOLDER } from './drive-readme.js';

export { REMOVE_FILE, RESTORE_FILE } from './format.js';

export interface ChainLink {
  id: string;
  /** Its tarball is in parts (`<ID>.tar.000`, …) rather than one `<ID>.tar`. */
  parts: boolean;
}

/** `chain`: oldest first, the snapshot itself last (a full: itself alone). */
export function restoreText(chain: readonly ChainLink[]): string {
  const self = chain.at(-1)!;
  const dir = (id: string) => `"$DRIVE/${DRIVE_DIR}/${id}"`;
  const extract = (l: ChainLink) => (l.parts
    ? `    cat "$DRIVE/${DRIVE_DIR}/${l.id}/${tarballName(l.id)}".[0-9][0-9][0-9] | tar -xpf - -C "$TARGET"`
    : `    tar -xpf "$DRIVE/${DRIVE_DIR}/${l.id}/${tarballName(l.id)}" -C "$TARGET"`);
  const what = chain.length === 1
    ? 'a FULL snapshot: its own tarball holds every file.'
    : `an INCREMENT: its tarball holds only what changed since the snapshot before it. Restoring it\n  takes the ${chain.length} tarballs of its chain, oldest first:\n${chain.map((l) => `      ${l.id}`).join('\n')}`;
  const ps = chain.map((l) => `'${l.id}'`).join(', ');
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
${chain.map(extract).join('\n')}

3. Remove what this snapshot no longer held (files deleted since an older snapshot of the chain)
    (cd "$TARGET" && xargs -0 rm -rf -- < ${dir(self.id)}/${REMOVE_FILE})
  ${REMOVE_FILE} lists paths inside TARGET, each ended by a NUL byte; run this only inside TARGET.

4. Check the restored files (every line must say OK)
    (cd "$TARGET" && sha256sum -c ${dir(self.id)}/${FILE_SUMS_FILE})

Windows (PowerShell; tar is built into Windows 10 and later)
------------------------------------------------------------
  $Drive = 'E:\\'                                # this drive's letter
  $Target = "$HOME\\restored-${self.id}"          # a new folder on ANOTHER disk
  $Chain = ${ps}
  foreach ($s in $Chain) { Get-Content "$Drive\\${DRIVE_DIR}\\$s\\${SUMS_FILE}" | ForEach-Object { $h, $f = $_ -split '  ', 2
      if ((Get-FileHash -Algorithm SHA256 -LiteralPath "$Drive\\${DRIVE_DIR}\\$s\\$f").Hash -ieq $h) { "OK  $s\\$f" } else { "FAILED  $s\\$f" } } }
  New-Item -ItemType Directory -Force $Target
  foreach ($s in $Chain) { tar -xf "$Drive\\${DRIVE_DIR}\\$s\\$s.tar" -C $Target }
  ([IO.File]::ReadAllText("$Drive\\${DRIVE_DIR}\\${self.id}\\${REMOVE_FILE}")).Split([char]0) | Where-Object { $_ } |
      ForEach-Object { Remove-Item -LiteralPath (Join-Path $Target $_) -Recurse -Force -ErrorAction SilentlyContinue }
  Parts (<ID>.tar.000, .001, ...): join them first with  copy /b part0 + part1 + ... <ID>.tar  in cmd.
`;
}
