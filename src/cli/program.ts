// The command line's shape: every command, its options and its help text, each wired to its
// command module (imported when it runs, so that one command does not load every other
// command's modules: prompts, tar, schemas; measured: `airgap --version` 0.25 s and 67 MB RSS
// when everything was loaded up front).
import { Option, type Command } from 'commander';
import type { Context } from './context.js';

const collect = (v: string, prev: string[] = []) => [...prev, v];

/** What the command actions need from the run: the context of a parsed command line, and where the exit code goes. */
export interface ActionHooks {
  context(cmd: Command): Context;
  set(code: number): void;
  wizard(ctx: Context, yes: boolean): Promise<number>;
}

export function defineCommands(program: Command, h: ActionHooks): void {
  defineDataCommands(program, h);
  defineRotationCommands(program, h);
  defineDriveCommands(program, h);
  defineSetupCommands(program, h);
}

/** The snapshots: write, check, get back, look into. */
function defineDataCommands(program: Command, h: ActionHooks): void {
  program.command('backup')
    .description("write today's dated snapshot of the sources onto a drive")
    .option('--drive <name|path>', 'the drive to write to (default: the due drive of the rotation plan)')
    .option('--source <dir>', 'folder to back up (repeatable; default: the config)', collect)
    .option('--exclude <glob>', 'skip matching paths (repeatable; added to the config)', collect)
    .option('--dry-run', 'show what would be written, write nothing')
    .option('--strict', 'refuse if any path cannot be stored as it is (unreadable, changed, special)')
    .option('--allow-connected', 'write even while other rotation drives are connected (breaks the air gap)')
    .option('--no-prune', 'do not prune old snapshots after the backup')
    .option('--accept-changes', 'the mass changes the gate flagged are yours: accept them (pruning resumes)')
    .option('--accept-fingerprint', "write even though the drive's hardware differs from when it was first seen (you replaced or cloned it on purpose)")
    .option('--part-size <size>', 'write the tarball in parts of at most <size> (e.g. 4G; automatic on FAT drives, which hold at most 4 GiB per file)')
    .option('--format <n>', 'snapshot format: 2 (incremental snapshots in chains), 3 (format 2 with block-gzipped tarballs, <ID>.tar.gz) or 1 (a full tarball each time), docs/FORMAT.md; default: the config\'s, else 2')
    .option('--full', 'formats 2 and 3: write a new full snapshot (start a new chain)')
    .option('--reread', 'formats 2 and 3: read every file, even those whose size, times, inode and device say unchanged (finds silent corruption of the sources)')
    .action(async (flags, cmd: Command) => { h.set(await (await import('./commands/backup.js')).backupCommand(h.context(cmd), flags)); });

  program.command('verify <drive>')
    .description('check every snapshot on a drive (name or path) against its checksums; works offline, read-only, without a config')
    .option('--snapshot <id>', 'only this snapshot')
    .option('--deep', 'also check every file inside the tarball against the per-file manifest')
    .option('--sample <percent>', 'format 2: instead of reading each tarball whole, read a random <percent> of its files at their offsets, each against its SHA-256 (e.g. 5%)')
    .action(async (drive: string, flags, cmd: Command) => { h.set(await (await import('./commands/verify.js')).verifyCommand(h.context(cmd), drive, flags)); });

  program.command('health <drive>')
    .description("a drive's SMART health through smartctl: failure counters against its first reading, kept in the catalog for status and remind; exit 3 when it may be failing")
    .option('--device <dev>', 'the disk to read (/dev/sdX), when airgap cannot find the disk under the drive itself; checked against lsblk')
    .option('--device-type <type>', 'one smartctl -d type (sat, usbjmicron, sntjmicron, ...) instead of trying the usual ones in turn')
    .action(async (drive: string, flags, cmd: Command) => { h.set(await (await import('./commands/health.js')).healthCommand(h.context(cmd), drive, flags)); });

  program.command('restore [drive] [paths...]')
    .usage('<drive> [paths...] --to <dir> [options]\n       airgap restore --from-any [paths...] --to <dir> [options]')
    .description('restore a snapshot (or the given files and folders in it) into a folder, checking every file; with --from-any, from whichever connected drive of this config has the newest good copy')
    .option('--from-any', 'no <drive>: take the newest copy that is not SUSPECT among the connected drives of this config, and fall back to the next copy if one fails verification (every argument is then a path)')
    .option('--snapshot <id>', 'which snapshot: an id, latest, or a day YYYY-MM-DD (default: the newest that is not SUSPECT)')
    .option('--to <dir>', 'where to restore: a new folder, or one of yours (merged into; nothing in it is replaced without --overwrite)')
    .option('--overwrite', 'replace what the restore collides with in --to (the paths it lists when it refuses); nothing else there is touched')
    .option('--salvage', 'from a damaged snapshot, restore every file that still matches its checksum')
    .option('--dry-run', 'show what would be restored')
    .option('--keep-special-bits', 'keep setuid/setgid bits (stripped by default)')
    .option('--owners', 'restore file owners (root only)')
    .action(async (drive: string | undefined, paths: string[], flags, cmd: Command) => { h.set(await (await import('./commands/restore.js')).restoreCommand(h.context(cmd), drive, paths, flags)); });

  program.command('drill [drive]')
    .description('restore drill: restore a random sample of the files of a random snapshot into a temporary folder, check each against its SHA-256, record it; with no drive, the connected drive whose drill is most overdue')
    .option('--files <N>', 'at least N files (default 20; at most 1000)')
    .option('--percent <P>', 'at least P % of the files (default 1)')
    .option('--seed <N>', 'the random choice (snapshot and files) of an earlier drill, to repeat it (default: a new one, printed)')
    .action(async (drive: string | undefined, flags, cmd: Command) => { h.set(await (await import('./commands/drill.js')).drillCommand(h.context(cmd), drive, flags)); });

  program.command('find <drive> <pattern>')
    .description('which snapshots hold a file: *.pdf, report.docx, Documents/**/2026-*')
    .option('--all-snapshots', 'search every snapshot, not only the latest')
    .action(async (drive: string, pattern: string, flags, cmd: Command) => { h.set(await (await import('./commands/restore.js')).findCommand(h.context(cmd), drive, pattern, flags)); });

  program.command('diff <drive> [snapshots...]')
    .description('what changed between two snapshots, or in the sources since the latest one (the ransomware gate\'s report)')
    .action(async (drive: string, ids: string[], _flags, cmd: Command) => { h.set(await (await import('./commands/diff.js')).diffCommand(h.context(cmd), drive, ids)); });

  program.command('list [drive]')
    .description('snapshots on a drive (or on every connected drive)')
    .action(async (drive: string | undefined, _flags, cmd: Command) => { h.set(await (await import('./commands/list.js')).listCommand(h.context(cmd), drive)); });
}

/** The rotation: what is due, the schedule, the state of every drive, pruning. */
function defineRotationCommands(program: Command, h: ActionHooks): void {
  program.command('plan')
    .description("today's rotation plan: which drive, what stays offline, what gets pruned, and why")
    .option('--date <YYYY-MM-DD>', 'plan for another date')
    .action(async (flags, cmd: Command) => { h.set(await (await import('./commands/plan.js')).planCommand(h.context(cmd), flags)); });

  program.command('schedule')
    .description('the printed rotation schedule: which drive to bring on which date')
    .option('--from <YYYY-MM-DD>', 'first date (default: today)')
    .option('--weeks <N>', 'how many weeks (default 13)')
    .option('--until <YYYY-MM-DD>', 'last date')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'markdown', 'html', 'ics', 'json']))
    .option('--output <file>', 'write to a file instead of stdout')
    .action(async (flags, cmd: Command) => { h.set(await (await import('./commands/plan.js')).scheduleCommand(h.context(cmd), flags)); });

  program.command('status')
    .description('every drive, where it should be, what it holds, alerts, and the next action')
    .action(async (_flags, cmd: Command) => { h.set(await (await import('./commands/status.js')).statusCommand(h.context(cmd))); });

  program.command('remind')
    .description('what is overdue (rotation, verification, restore drill) and every other alert, one line each, with a desktop notification; exit 0 when all is well, else 32 + a bit per kind (docs/cli.md)')
    .option('--no-notify', 'no desktop notification (notify-send, osascript): print and exit only')
    .action(async (flags, cmd: Command) => { h.set(await (await import('./commands/remind.js')).remindCommand(h.context(cmd), flags)); });

  program.command('prune <drive>')
    .description('remove the snapshots the retention policy no longer keeps (never the newest, never the last good copy)')
    .option('--dry-run', 'show what would be removed')
    .action(async (drive: string, flags, cmd: Command) => { h.set(await (await import('./commands/prune.js')).pruneCommand(h.context(cmd), drive, flags)); });

  program.command('accept <drive> <snapshot>')
    .description('the changes the ransomware gate flagged in <snapshot> are yours: it is no longer SUSPECT, and pruning may go ahead')
    .option('--yes', 'do not ask for confirmation')
    .action(async (drive: string, snapshot: string, flags, cmd: Command) => { h.set(await (await import('./commands/suspect-decision.js')).decisionCommand(h.context(cmd), 'accept', drive, snapshot, flags)); });

  program.command('reject <drive> <snapshot>')
    .description('keep a SUSPECT snapshot as evidence once your files are recovered: pruning may go ahead; restore still never takes it unless named')
    .option('--delete', 'also delete it from the drive')
    .option('--yes', 'do not ask for confirmation')
    .action(async (drive: string, snapshot: string, flags, cmd: Command) => { h.set(await (await import('./commands/suspect-decision.js')).decisionCommand(h.context(cmd), 'reject', drive, snapshot, flags)); });

  program.command('scan')
    .description('rebuild the catalog from the connected drives')
    .action(async (_flags, cmd: Command) => { h.set(await (await import('./commands/scan.js')).scanCommand(h.context(cmd))); });

  program.command('log')
    .description('the history of backup, verify, restore, drill, prune, accept and reject runs on this host, newest first')
    .option('--limit <N>', 'show at most N runs (default 50)')
    .action(async (flags, cmd: Command) => { h.set(await (await import('./commands/log.js')).logCommand(h.context(cmd), flags)); });
}

/** Drives and setting up: label, find, watch, mount and eject drives; the config; the guided flows. */
function defineDriveCommands(program: Command, h: ActionHooks): void {
  program.command('label <path>')
    .description('mark the drive mounted at <path> as an airgap drive')
    .requiredOption('--name <NAME>', 'drive name, e.g. A or office-1')
    .option('--yes', 'do not ask for confirmation')
    .option('--force', 'relabel an airgap drive (snapshots kept) or label a disk that shares the system or a source disk')
    .option('--encrypt', "encrypt this drive's snapshots from now on (docs/FORMAT.md); sets encryption up when the config has none (a passphrase, or --recipient)")
    .option('--recipient <age1…>', 'with --encrypt, when the config has no encryption yet: an age public key of your own (repeatable)', collect)
    .action(async (path: string, _flags, cmd: Command) => { h.set(await (await import('./commands/label.js')).labelCommand(h.context(cmd), path, cmd.optsWithGlobals())); });

  program.command('forget <drive>')
    .description("drop a lost or retired drive from this host's catalog (the drive itself is not touched)")
    .option('--yes', 'do not ask for confirmation')
    .action(async (drive: string, flags, cmd: Command) => { h.set(await (await import('./commands/forget.js')).forgetCommand(h.context(cmd), drive, flags)); });

  program.command('adopt <drive>')
    .description("bind a connected foreign drive that carries an unbound rotation name (labelled on another computer) to this config")
    .option('--yes', 'do not ask for confirmation')
    .action(async (drive: string, flags, cmd: Command) => { h.set(await (await import('./commands/adopt.js')).adoptCommand(h.context(cmd), drive, flags)); });

  program.command('replace <old> <path>')
    .description('label the disk at <path> as the successor of a lost or retired drive <old>: its name and place in the rotation (history kept)')
    .option('--take-over', 'the disk already is another airgap drive: make it <old> anyway, keeping its id and snapshots')
    .option('--yes', 'do not ask for confirmation')
    .action(async (old: string, path: string, flags, cmd: Command) => { h.set(await (await import('./commands/replace.js')).replaceCommand(h.context(cmd), old, path, flags)); });

  program.command('retire <drive>')
    .description('take a drive out of the rotation: never scheduled or written again, its snapshots stay readable')
    .option('--undo', 'put a retired drive back into the rotation (at its end)')
    .option('--yes', 'do not ask for confirmation')
    .action(async (drive: string, flags, cmd: Command) => { h.set(await (await import('./commands/retire.js')).retireCommand(h.context(cmd), drive, flags)); });

  program.command('drives')
    .description('connected airgap drives, and removable disks that could become one')
    .option('--all', 'also list the disks that are never offered, and why (system disk, virtual, ...)')
    .option('--include-loop', 'offer loop devices (mounted disk images) too')
    .action(async (flags, cmd: Command) => { h.set(await (await import('./commands/drives.js')).drivesCommand(h.context(cmd), flags)); });

  program.command('watch')
    .description("wait for drives to arrive and leave, printing an event for each; when a drive of the rotation arrives, notify whether its backup is due, or back it up (the config's onArrival)")
    .option('--once', 'return after the first drive arrives')
    .option('--timeout <s>', 'stop after this many seconds')
    .action(async (_flags, cmd: Command) => { h.set(await (await import('./commands/watch.js')).watchCommand(h.context(cmd), cmd.optsWithGlobals())); });

  program.command('service <action>')
    .usage('install|remove|status|print [options]')
    .description('the daily reminder and the drive watcher as a user service (systemd on Linux, launchd on macOS; on Windows, the schtasks commands): install, remove, status, or print the files')
    .option('--force', 'install/remove: replace or remove service files even though they were edited by hand')
    .option('--at <HH:MM>', 'install/print: the time of the daily reminder (default 09:00)')
    .addOption(new Option('--platform <platform>', 'print: the files of another platform').choices(['linux', 'darwin', 'win32']))
    .action(async (action: string, flags, cmd: Command) => { h.set(await (await import('./commands/service.js')).serviceCommand(h.context(cmd), action, flags)); });

  program.command('mount <device>')
    .description('mount a plugged-in disk (Linux: udisksctl, macOS: diskutil)')
    .action(async (device: string, _flags, cmd: Command) => { h.set(await (await import('./commands/mount.js')).mountCommand(h.context(cmd), device)); });

  program.command('eject <drive>')
    .description('unmount a drive (name or path) and power it off, so it can be unplugged safely')
    .action(async (drive: string, _flags, cmd: Command) => { h.set(await (await import('./commands/mount.js')).ejectCommand(h.context(cmd), drive)); });

}

/** Setting up: the config (with encryption), the recovery sheet, the guided flows, the demo. */
function defineSetupCommands(program: Command, h: ActionHooks): void {
  program.command('recovery-sheet')
    .description('a printable page (HTML) with what restores the encrypted drives without this computer: the drive key (asks for the passphrase), the keys, the commands; a SECRET')
    .option('--output <file>', 'write it to this new file (private) instead of stdout')
    .action(async (flags, cmd: Command) => { h.set(await (await import('./commands/recovery-sheet.js')).recoverySheetCommand(h.context(cmd), flags)); });

  program.command('init')
    .description('write the config: what to back up, the drives, the cadence')
    .option('--source <dir>', 'folder to back up (repeatable)', collect)
    .option('--exclude <glob>', 'pattern to skip (repeatable)', collect)
    .option('--drives <A,B,C>', 'names of the drives in the rotation')
    .option('--cadence <cadence>', 'daily, weekly (from today), or weekdays such as sat or mon,thu')
    .addOption(new Option('--scheme <scheme>', 'which drive is due when').choices(['round-robin', 'hanoi', 'oldest-first']))
    .option('--offsite <NAMES>', 'drives kept offsite, comma-separated (default: the second of three or more)')
    .option('--yes', 'no questions; fail if something is missing')
    .option('--force', 'replace an existing config')
    .option('--encrypt [drives]', "encrypt the drives with age (docs/FORMAT.md): all (the default), offsite, or names such as B,C; the drive key's passphrase is asked, or read with --passphrase-file/--passphrase-env")
    .option('--recipient <age1…>', 'with --encrypt: also encrypt to this age public key of your own (repeatable; with it alone, no passphrase is asked)', collect)
    .action(async (_flags, cmd: Command) => { h.set(await (await import('./commands/init.js')).initCommand(h.context(cmd), cmd.optsWithGlobals())); });

  program.command('wizard', { isDefault: false })
    .description('the guided flow (what `airgap` with no arguments runs in a terminal)')
    .option('--yes', 'no questions: safe defaults, or exit 2 naming what is missing')
    .action(async (flags, cmd: Command) => { h.set(await h.wizard(h.context(cmd), flags.yes ?? false)); });

  program.command('demo')
    .description('a guided demo on simulated drives in a temporary folder')
    .option('--clean', 'remove the temporary folder afterwards')
    .action(async (flags, cmd: Command) => { h.set(await (await import('./commands/demo.js')).demoCommand(h.context(cmd), flags)); });
}
