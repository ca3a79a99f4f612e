// The README written on every airgap drive: enough to verify and restore a snapshot in ten
// years with stock tools, without airgap and without the internet.
import { DRIVE_DIR, FILE_SUMS_FILE, FORMAT_VERSION, IDENTITY_FILE, MANIFEST_FILE, SNAPSHOT_JSON, SUMS_FILE, type DriveIdentity } from './format.js';

export function driveReadme(identity: DriveIdentity): string {
  const ex = '2026-11-21T093000Z';
  return `AIRGAP BACKUP DRIVE "${identity.name}"
${'='.repeat(24 + identity.name.length)}

This drive holds offline backups written by airgap (on-drive format version ${FORMAT_VERSION}).
Each backup ("snapshot") is an ordinary tar archive plus checksum files. You do NOT need
airgap to check or restore them: the commands below use tools every system has.

Layout
------
  ${DRIVE_DIR}/${IDENTITY_FILE}        this drive's identity (id ${identity.id})
  ${DRIVE_DIR}/README.txt        this file
  ${DRIVE_DIR}/<SNAPSHOT>/       one folder per snapshot, named by its UTC date and time,
                          e.g. ${ex} = 21 Nov 2026, 09:30:00 UTC
      <SNAPSHOT>.tar      the files, as a POSIX (pax) tar archive; one top-level folder
                          per backed-up source folder
      ${SUMS_FILE}          SHA-256 of every other file in this folder
      ${MANIFEST_FILE}        every file in the archive: type, mode, owner, size, mtime,
                          SHA-256, path, link target (tab-separated; \\\\ \\t \\n \\r \\xHH escapes)
      ${FILE_SUMS_FILE}        SHA-256 of every regular file, for checking restored files
      ${SNAPSHOT_JSON}       when, from where, counts, and the previous snapshot's checksum
      <SNAPSHOT>.tar.000, .001, ...
                          instead of <SNAPSHOT>.tar on drives that cannot hold files of
                          4 GiB (FAT32): the tarball cut into parts, in order (see 2.)
  Folders whose names start with "${'.partial-'}" are unfinished backups: ignore them.
  A snapshot folder without ${SUMS_FILE} is incomplete: do not trust it.

1. Check a snapshot (detects any damaged or altered byte)
----------------------------------------------------------
  Linux:    cd ${DRIVE_DIR}/${ex} && sha256sum --strict -c ${SUMS_FILE}
            (--strict: a damaged line fails too; leave it out if your sha256sum lacks it)
  macOS:    cd ${DRIVE_DIR}/${ex} && shasum -a 256 -c ${SUMS_FILE}
  Windows (PowerShell, inside the snapshot folder):
    Get-Content ${SUMS_FILE} | ForEach-Object { $h, $f = $_ -split '  ', 2
      if ((Get-FileHash -Algorithm SHA256 -LiteralPath $f).Hash -ieq $h) { "OK  $f" } else { "FAILED  $f" } }
  Every line must say OK. If the tarball FAILED, try the same snapshot on another
  drive of the rotation first.

2. Restore everything
---------------------
  Linux/macOS:  mkdir restored && tar -xpf ${DRIVE_DIR}/${ex}/${ex}.tar -C restored
  Windows 10+:  mkdir restored; tar -xf ${DRIVE_DIR}\\${ex}\\${ex}.tar -C restored
  Restore a single file or folder by naming it after the tarball, e.g.
                tar -xpf ${DRIVE_DIR}/${ex}/${ex}.tar -C restored "Documents/taxes"
  List what is inside: tar -tvf ${DRIVE_DIR}/${ex}/${ex}.tar  (or read ${MANIFEST_FILE})

  If the snapshot has parts (${ex}.tar.000, .001, ...) instead of one .tar, join
  them in order first (onto a disk with room for the whole tarball), then use the
  commands above on the joined file:
    Linux/macOS:  cat ${DRIVE_DIR}/${ex}/${ex}.tar.[0-9][0-9][0-9] > ${ex}.tar
    Windows:      copy /b ${ex}.tar.000 + ${ex}.tar.001 + ... ${ex}.tar   (cmd, every part, in order)
  or extract straight from the parts without joining (Linux/macOS):
                cat ${DRIVE_DIR}/${ex}/${ex}.tar.[0-9][0-9][0-9] | tar -xpf - -C restored

3. Check the restored files
---------------------------
  Linux:  cd restored && sha256sum -c /path/to/${DRIVE_DIR}/${ex}/${FILE_SUMS_FILE}
  macOS:  cd restored && shasum -a 256 -c /path/to/${DRIVE_DIR}/${ex}/${FILE_SUMS_FILE}
  (A partial restore reports the files you did not restore as missing.)

With airgap installed: "airgap verify <this drive>" checks every snapshot, and
"airgap verify --deep" also names each damaged file inside a tarball.

Drive "${identity.name}" was labelled on ${identity.createdAt} by ${identity.createdBy}.
`;
}
