// The README written on every airgap drive: enough to verify and restore a snapshot in ten
// years with stock tools, without airgap and without the internet. Followed literally, it must
// work (test/e2e/drive-readme.test.ts runs it): every command uses full paths set once in step
// 0, so it works from any folder, and the restore goes to another disk, never onto this drive.
// Layout of the Linux/macOS part, which the test relies on: a command the user types is a line
// indented by exactly four spaces; prose is indented by two; an alternative is a prose line
// "  <label>:  <command>".
import { DRIVE_DIR, DRIVE_KEY_FILE, FILE_SUMS_FILE, FORMAT_VERSION, BLOCKS_FILE, IDENTITY_FILE, MANIFEST_FILE, PARTIAL_PREFIX, REMOVE_FILE, RESTORE_FILE, SNAPSHOT_JSON, SUMS_FILE, VERIFY_PAGE, type DriveIdentity } from './format.js';
import { DELTA_DIR } from './delta-file.js';

/** The placeholder of step 0, which the user replaces by where the drive is mounted. */
export const README_DRIVE_PLACEHOLDER = '/media/me/BACKUP';

export function driveReadme(identity: DriveIdentity): string {
  const ex = '2026-11-21T093000Z';
  const snap = `"$DRIVE/${DRIVE_DIR}/$SNAP"`;
  const tar = `"$DRIVE/${DRIVE_DIR}/$SNAP/$SNAP.tar"`;
  const parts = `"$DRIVE/${DRIVE_DIR}/$SNAP/$SNAP".tar.[0-9][0-9][0-9]`;
  return `AIRGAP BACKUP DRIVE "${identity.name}"
${'='.repeat(24 + identity.name.length)}

This drive holds offline backups written by airgap (on-drive format version ${FORMAT_VERSION};
snapshots in format 1, 2 or 3).
Each backup ("snapshot") is an ordinary tar archive plus checksum files. You do NOT need
airgap to check or restore them: the commands below use tools every system has.

Check this drive in a web browser (no terminal, no airgap needed)
-----------------------------------------------------------------
  Open ${DRIVE_DIR}/${VERIFY_PAGE} (next to this file) in any web browser, then pick this
  drive's "${DRIVE_DIR}" folder when the page asks (or drag the folder onto the page). It
  reads every file of every snapshot on this computer, offline (nothing is uploaded), and
  says OK, DAMAGED or MISSING for each file and snapshot, by name, and whether each
  snapshot still matches the one before it. Tick "Deep check" before picking the folder
  to also check every file inside each unencrypted snapshot's tarball against its list
  (as airgap verify --deep does). It restores nothing: to restore, follow the steps
  below (or use airgap). Encrypted snapshots: it checks the stored files; what is
  inside them needs the passphrase and airgap (airgap verify --deep).

Layout
------
  ${DRIVE_DIR}/${IDENTITY_FILE}        this drive's identity (id ${identity.id})
  ${DRIVE_DIR}/README.txt        this file
  ${DRIVE_DIR}/${VERIFY_PAGE}       checks the drive in a web browser (see above)
  ${DRIVE_DIR}/<SNAPSHOT>/       one folder per snapshot, named by its UTC date and time,
                          e.g. ${ex} = 21 Nov 2026, 09:30:00 UTC
      <SNAPSHOT>.tar      the files, as a POSIX (pax) tar archive; one top-level folder
                          per backed-up source folder
      ${SUMS_FILE}          SHA-256 of every other file in this folder
      ${MANIFEST_FILE}        every file in the archive: type, mode, owner, size, mtime,
                          SHA-256, path, link target (tab-separated; \\\\ \\t \\n \\r \\xHH escapes)
      ${FILE_SUMS_FILE}        SHA-256 of every regular file, for checking restored files
      ${MANIFEST_FILE}.gz, ${FILE_SUMS_FILE}.gz
                          format 2: the same two lists, gzip-compressed (read them with
                          gunzip -c or zcat; ${RESTORE_FILE} shows how)
      ${SNAPSHOT_JSON}       when, from where, counts, the previous snapshot's checksum,
                          and whether the snapshot is SUSPECT (see step 1)
      <SNAPSHOT>.tar.000, .001, ...
                          instead of <SNAPSHOT>.tar on drives that cannot hold files of
                          4 GiB (FAT32): the tarball cut into parts, in order (see step 3)
      <SNAPSHOT>.tar.gz   format 3, instead of <SNAPSHOT>.tar: the same tar archive,
                          gzip-compressed (tar -xzpf extracts it; gzip -dc gives the .tar);
                          its parts, if any: <SNAPSHOT>.tar.gz.000, .001, ...
      <SNAPSHOT>.tar.gz.idx
                          format 3: where each gzip member of the .tar.gz starts (text),
                          for airgap's reads of one file; tar does not need it
      ${RESTORE_FILE}         only in a format 2 or 3 snapshot: the exact commands that restore it.
                          An INCREMENTAL snapshot's tarball holds only what changed since
                          the snapshot before it; ${RESTORE_FILE} names every tarball it needs
      ${REMOVE_FILE}          format 2: what to delete after extracting (see ${RESTORE_FILE})
      ${BLOCKS_FILE}              format 2: SHA-256 of each 1 MiB block of its large files, so that
                          the next snapshot can store only the blocks that changed. An
                          increment's tarball holds them as ${DELTA_DIR}/<SNAPSHOT>/...;
                          the dd lines of its ${RESTORE_FILE} write them into the file
  Folders whose names start with "${PARTIAL_PREFIX}" are unfinished backups: ignore them.
  A snapshot folder without ${SUMS_FILE} is incomplete: do not trust it.

${identity.encryption ? encryptedPart() : ''}Suspect snapshots (ransomware)
------------------------------
  When files change the way ransomware or a broken sync changes them (many files rewritten
  so that they look encrypted, or deleted), airgap still writes the snapshot, as evidence,
  but marks it SUSPECT: its ${SNAPSHOT_JSON} says "suspect": true and "accepted": false.
  Its files may be the ENCRYPTED ones: do not restore it. Restore the newest snapshot
  before it (step 1 picks it). "accepted": true means its owner checked the changes when
  it was written and accepted them.

Restoring with stock tools: Linux and macOS
-------------------------------------------
  Type the indented commands in a terminal (sh, bash or zsh), in order. They work from any
  folder: every path is a full path, set once in step 0. A line "label:  command" is an
  alternative: type the command after the label instead of the one above it.

0. Where this drive is, and where to restore to (NOT on this drive)
    DRIVE=${README_DRIVE_PLACEHOLDER}
  Replace ${README_DRIVE_PLACEHOLDER} by the folder this drive is mounted at, the one that holds
  the "${DRIVE_DIR}" folder (Linux: usually under /media or /run/media; macOS: /Volumes/...).
    TARGET="$HOME/restored"
  The restored files go to TARGET: an empty folder on ANOTHER disk (your computer's),
  NOT on this drive. Restoring onto the backup drive fills it up and risks the backups.
    mkdir -p "$TARGET"
    [ "$(df -P "$DRIVE" | tail -n 1 | sed 's/.*% //')" != "$(df -P "$TARGET" | tail -n 1 | sed 's/.*% //')" ] || { echo "STOP: $TARGET is on the backup drive; choose a folder on another disk"; false; }
  This check prints STOP if TARGET is on the same disk as this drive: then choose another.

1. Pick a snapshot
    ls "$DRIVE/${DRIVE_DIR}"
  The snapshots, oldest first. This lists those marked SUSPECT (nothing printed: none);
  see above, and do not restore them unless their snapshot.json also says "accepted": true:
    grep -l '"suspect": true' "$DRIVE/${DRIVE_DIR}"/[0-9]*/${SNAPSHOT_JSON} || true
  The newest complete snapshot that is not an unaccepted suspect:
    SNAP=$(for s in "$DRIVE/${DRIVE_DIR}"/[0-9]*; do [ -f "$s/${SUMS_FILE}" ] || continue; grep -q '"suspect": true' "$s/${SNAPSHOT_JSON}" && grep -q '"accepted": false' "$s/${SNAPSHOT_JSON}" && continue; basename "$s"; done | tail -n 1)
    echo "$SNAP"
  Or choose one yourself:  SNAP=${ex}
  A format 2 or 3 snapshot (2 is airgap's default) has a ${RESTORE_FILE}: then follow it
  instead of steps 2 to 4, which are for format 1 snapshots (one whole tarball each). An
  incremental snapshot needs the tarballs of the snapshots before it, and ${RESTORE_FILE}
  names them. This prints STOP then:
    [ ! -f "$DRIVE/${DRIVE_DIR}/$SNAP/${RESTORE_FILE}" ] || { echo "STOP: follow $DRIVE/${DRIVE_DIR}/$SNAP/${RESTORE_FILE}"; false; }

2. Check it (detects any damaged or altered byte)
    (cd ${snap} && sha256sum --strict -c ${SUMS_FILE})
  macOS:  (cd ${snap} && shasum -a 256 -c ${SUMS_FILE})
  Every line must say OK (leave out --strict if your sha256sum does not know it). If the
  tarball FAILED, try the same snapshot on another drive of the rotation first.

3. Restore everything into TARGET
    tar -xpf ${tar} -C "$TARGET"
  If the snapshot has parts (<SNAPSHOT>.tar.000, .001, ...) instead of one .tar:
  Parts:  cat ${parts} | tar -xpf - -C "$TARGET"
  One file or folder only, named as in the tarball (see ${MANIFEST_FILE} or tar -tvf):
  One file:  tar -xpf ${tar} -C "$TARGET" "Documents/taxes"
  To join the parts into one tarball (on your computer's disk, with room for all of it):
  Join:  cat ${parts} > "$HOME/$SNAP.tar"
  (then extract "$HOME/$SNAP.tar" with the tar -xpf command above, instead of ${tar}).

4. Check the restored files
    (cd "$TARGET" && sha256sum -c ${snap}/${FILE_SUMS_FILE})
  macOS:  (cd "$TARGET" && shasum -a 256 -c ${snap}/${FILE_SUMS_FILE})
  Every line must say OK. (A partial restore reports the files you did not restore as missing.)

Windows (PowerShell; tar is built into Windows 10 and later)
-----------------------------------------------------------
  $Drive = 'E:\\'                        # this drive's letter
  $Target = "$HOME\\restored"            # on ANOTHER disk, NOT on this drive
  Get-ChildItem "$Drive\\${DRIVE_DIR}"                  # the snapshots, oldest first
  Select-String -List -Pattern '"suspect": true' -Path "$Drive\\${DRIVE_DIR}\\*\\${SNAPSHOT_JSON}"
                                        # SUSPECT snapshots (see above): do not restore them
  $Snap = '${ex}'          # the snapshot you chose
  # If "$Drive\${DRIVE_DIR}\$Snap\${RESTORE_FILE}" exists (format 2 or 3), follow it instead.
  Get-Content "$Drive\\${DRIVE_DIR}\\$Snap\\${SUMS_FILE}" | ForEach-Object { $h, $f = $_ -split '  ', 2
    if ((Get-FileHash -Algorithm SHA256 -LiteralPath "$Drive\\${DRIVE_DIR}\\$Snap\\$f").Hash -ieq $h) { "OK  $f" } else { "FAILED  $f" } }
  New-Item -ItemType Directory -Force $Target; tar -xf "$Drive\\${DRIVE_DIR}\\$Snap\\$Snap.tar" -C $Target
  Parts: join them in cmd first (every part, in order), then extract the joined file:
    copy /b E:\\${DRIVE_DIR}\\<SNAPSHOT>\\<SNAPSHOT>.tar.000 + E:\\${DRIVE_DIR}\\<SNAPSHOT>\\<SNAPSHOT>.tar.001 + ... %USERPROFILE%\\<SNAPSHOT>.tar

With airgap installed: "airgap verify <this drive>" checks every snapshot,
"airgap verify --deep" also names each damaged file inside a tarball, and
"airgap restore <drive> --to <folder>" restores (and checks) for you.

Drive "${identity.name}" was labelled on ${identity.createdAt} by ${identity.createdBy}.
`;
}

/** The part of an encrypted drive's README that says what is encrypted and how it opens. */
function encryptedPart(): string {
  return `THIS DRIVE IS ENCRYPTED (age)
-----------------------------
  Its snapshots are encrypted with age (https://age-encryption.org), a standard tool
  (Debian, Ubuntu: apt install age; macOS: brew install age; Windows: winget install
  FiloSottile.age). In each snapshot folder the files ending in .age are age files:
  <SNAPSHOT>.tar.age (or its parts .tar.age.000, ...; format 3: <SNAPSHOT>.tar.gz.age and
  <SNAPSHOT>.tar.gz.idx.age), ${MANIFEST_FILE}.gz.age,
  ${FILE_SUMS_FILE}.gz.age, ${REMOVE_FILE}.age, ${SNAPSHOT_JSON}.age. ${SNAPSHOT_JSON}, ${RESTORE_FILE}
  and ${SUMS_FILE} are not encrypted and name no file of yours.
  ${DRIVE_DIR}/${DRIVE_KEY_FILE} (when there is one) is the drive's key, encrypted with its passphrase:
  age -d ${DRIVE_DIR}/${DRIVE_KEY_FILE} asks for the passphrase and prints the key that opens every
  snapshot. A key file of your own (age-keygen) that the drive is encrypted to opens them too.
  Checking (step 2, sha256sum -c ${SUMS_FILE}) needs no key or passphrase.
  To restore, follow the snapshot's ${RESTORE_FILE}: it has the exact age and tar commands.
  Without the passphrase and without a key file, nobody can read these backups: keep the
  recovery sheet (airgap recovery-sheet) somewhere safe, away from the drives.

`;
}
