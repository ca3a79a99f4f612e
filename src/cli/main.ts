// Composition root: parses the command line, builds the context, runs one command, and turns
// its outcome into an exit code (through exit.ts). Nothing else reads process.argv or env.
import { Command, Option } from 'commander';
import { EXIT, usageError } from '../core/errors.js';
// Commands are imported when they run (below), so that one command does not load every other
// command's modules: prompts, tar, schemas (measured: `airgap --version` 0.25 s and 67 MB
// RSS when everything was loaded up front).
import { makeContext, toolVersion, type Context, type GlobalFlags } from './context.js';
import { reportError } from './exit.js';
import { installInterruptHandling } from './interrupt.js';
import { failpointFromSpec, setFailpointHandler } from '../io/failpoint.js';

const collect = (v: string, prev: string[] = []) => [...prev, v];

export type ContextOverrides = Partial<Context> & {
  env?: NodeJS.ProcessEnv;
  /** Tests: the wizard's prompter (scripted) and how long it waits for a drive. */
  prompter?: import('../ui/prompter.js').Prompter;
  waitMs?: number;
};

/** Runs one airgap command line; returns its exit code (never calls process.exit). */
export async function run(argv: string[], overrides: ContextOverrides = {}): Promise<number> {
  let code: number = EXIT.ok;
  let ctx: Context | undefined;
  const context = (cmd: Command): Context => {
    checkValues(cmd);
    const { env, ...rest } = overrides;
    const { prompter: _p, waitMs: _w, ...fields } = rest;
    ctx = { ...makeContext(cmd.optsWithGlobals() as GlobalFlags, env), ...fields };
    if (ctx.json) ctx.progress = false;
    return ctx;
  };
  const out = overrides.stdout ?? process.stdout;
  const err = overrides.stderr ?? process.stderr;
  const program = new Command('airgap')
    .description('Offline, rotated backup drives: dated snapshots you can verify and restore with stock tools.')
    .version(toolVersion(), '-V, --version')
    .option('--config <file>', 'config file (default: $AIRGAP_CONFIG or ~/.config/airgap/config.json)')
    .option('--drives-root <dir>', 'treat every folder in <dir> as a drive (tests, demo; or $AIRGAP_DRIVES_ROOT)')
    .option('--json', 'machine-readable output on stdout (progress and logs stay on stderr)')
    .exitOverride()
    .configureOutput({ writeOut: (s) => out.write(s), writeErr: (s) => err.write(s) });

  program.command('label <path>')
    .description('mark the drive mounted at <path> as an airgap drive')
    .requiredOption('--name <NAME>', 'drive name, e.g. A or office-1')
    .option('--yes', 'do not ask for confirmation')
    .option('--force', 'relabel an airgap drive (snapshots kept) or label a disk that shares the system or a source disk')
    .action(async (path: string, flags, cmd: Command) => { code = await (await import('./commands/label.js')).labelCommand(context(cmd), path, flags); });

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
    .action(async (flags, cmd: Command) => { code = await (await import('./commands/backup.js')).backupCommand(context(cmd), flags); });

  program.command('verify <drive>')
    .description('check every snapshot on a drive (name or path) against its checksums; works offline, read-only, without a config')
    .option('--snapshot <id>', 'only this snapshot')
    .option('--deep', 'also check every file inside the tarball against the per-file manifest')
    .action(async (drive: string, flags, cmd: Command) => { code = await (await import('./commands/verify.js')).verifyCommand(context(cmd), drive, flags); });

  program.command('restore <drive> [paths...]')
    .description('restore a snapshot (or the given files and folders in it) into a folder, checking every file')
    .option('--snapshot <id>', 'which snapshot (default: latest)')
    .option('--to <dir>', 'where to restore (an empty or new folder)')
    .option('--overwrite', 'replace files that already exist in --to')
    .option('--salvage', 'from a damaged snapshot, restore every file that still matches its checksum')
    .option('--dry-run', 'show what would be restored')
    .option('--keep-special-bits', 'keep setuid/setgid bits (stripped by default)')
    .option('--owners', 'restore file owners (root only)')
    .action(async (drive: string, paths: string[], flags, cmd: Command) => { code = await (await import('./commands/restore.js')).restoreCommand(context(cmd), drive, paths, flags); });

  program.command('find <drive> <pattern>')
    .description('which snapshots hold a file: *.pdf, report.docx, Documents/**/2026-*')
    .option('--all-snapshots', 'search every snapshot, not only the latest')
    .action(async (drive: string, pattern: string, flags, cmd: Command) => { code = await (await import('./commands/restore.js')).findCommand(context(cmd), drive, pattern, flags); });

  program.command('diff <drive> [snapshots...]')
    .description('what changed between two snapshots, or in the sources since the latest one (the ransomware gate\'s report)')
    .action(async (drive: string, ids: string[], _flags, cmd: Command) => { code = await (await import('./commands/diff.js')).diffCommand(context(cmd), drive, ids); });

  program.command('list [drive]')
    .description('snapshots on a drive (or on every connected drive)')
    .action(async (drive: string | undefined, _flags, cmd: Command) => { code = await (await import('./commands/list.js')).listCommand(context(cmd), drive); });

  program.command('plan')
    .description("today's rotation plan: which drive, what stays offline, what gets pruned, and why")
    .option('--date <YYYY-MM-DD>', 'plan for another date')
    .action(async (flags, cmd: Command) => { code = await (await import('./commands/plan.js')).planCommand(context(cmd), flags); });

  program.command('schedule')
    .description('the printed rotation schedule: which drive to bring on which date')
    .option('--from <YYYY-MM-DD>', 'first date (default: today)')
    .option('--weeks <N>', 'how many weeks (default 13)')
    .option('--until <YYYY-MM-DD>', 'last date')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'markdown', 'html', 'ics', 'json']))
    .option('--output <file>', 'write to a file instead of stdout')
    .action(async (flags, cmd: Command) => { code = await (await import('./commands/plan.js')).scheduleCommand(context(cmd), flags); });

  program.command('status')
    .description('every drive, where it should be, what it holds, alerts, and the next action')
    .action(async (_flags, cmd: Command) => { code = await (await import('./commands/status.js')).statusCommand(context(cmd)); });

  program.command('prune <drive>')
    .description('remove the snapshots the retention policy no longer keeps (never the newest, never the last good copy)')
    .option('--dry-run', 'show what would be removed')
    .action(async (drive: string, flags, cmd: Command) => { code = await (await import('./commands/prune.js')).pruneCommand(context(cmd), drive, flags); });

  program.command('scan')
    .description('rebuild the catalog from the connected drives')
    .action(async (_flags, cmd: Command) => { code = await (await import('./commands/scan.js')).scanCommand(context(cmd)); });

  program.command('drives')
    .description('connected airgap drives, and removable disks that could become one')
    .option('--all', 'also list the disks that are never offered, and why (system disk, virtual, ...)')
    .option('--include-loop', 'offer loop devices (mounted disk images) too')
    .action(async (flags, cmd: Command) => { code = await (await import('./commands/drives.js')).drivesCommand(context(cmd), flags); });

  program.command('watch')
    .description('wait for drives to arrive and leave, printing an event for each')
    .option('--once', 'return after the first drive arrives')
    .option('--timeout <s>', 'stop after this many seconds')
    .action(async (flags, cmd: Command) => { code = await (await import('./commands/watch.js')).watchCommand(context(cmd), flags); });

  program.command('mount <device>')
    .description('mount a plugged-in disk (Linux: udisksctl, macOS: diskutil)')
    .action(async (device: string, _flags, cmd: Command) => { code = await (await import('./commands/mount.js')).mountCommand(context(cmd), device); });

  program.command('eject <drive>')
    .description('unmount a drive (name or path) and power it off, so it can be unplugged safely')
    .action(async (drive: string, _flags, cmd: Command) => { code = await (await import('./commands/mount.js')).ejectCommand(context(cmd), drive); });

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
    .action(async (flags, cmd: Command) => { code = await (await import('./commands/init.js')).initCommand(context(cmd), flags); });

  program.command('wizard', { isDefault: false })
    .description('the guided flow (what `airgap` with no arguments runs in a terminal)')
    .option('--yes', 'no questions: safe defaults, or exit 2 naming what is missing')
    .action(async (flags, cmd: Command) => { code = await runWizard(context(cmd), flags.yes ?? false, overrides); });

  program.command('demo')
    .description('a guided demo on simulated drives in a temporary folder')
    .option('--clean', 'remove the temporary folder afterwards')
    .action(async (flags, cmd: Command) => { code = await (await import('./commands/demo.js')).demoCommand(context(cmd), flags); });

  if (argv.length === 0) {
    // `airgap` alone: the wizard in a terminal; elsewhere the usage, since nobody can answer.
    const interactive = overrides.interactive ?? Boolean(process.stdin.isTTY && process.stdout.isTTY);
    if (interactive) argv = ['wizard'];
    else {
      err.write(program.helpInformation());
      err.write('\nerror: no command given (in a terminal, airgap without arguments starts the guided wizard)\nhint: run airgap wizard --yes for the unattended flow, or pick a command above\n');
      return EXIT.usage;
    }
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (e) {
    return reportError(e, ctx ?? { stdout: out, stderr: err, json: argv.includes('--json') });
  }
  return code;
}

/**
 * Every value on the command line must say something: an empty string would otherwise count as
 * "not given" (`--drive ''` → the plan's drive, `list ''` → every drive) or as "here" for a path
 * (`--source ''` → the current folder). A NUL byte cannot be in any path or name (only possible in-process).
 */
function checkValues(cmd: Command): void {
  const bad = (v: unknown) => (typeof v === 'string' ? v === '' || v.includes('\0') : Array.isArray(v) && v.some(bad));
  const problem = (v: unknown) => ([v].flat().some((x) => x === '') ? 'is empty' : 'contains a NUL byte');
  for (let c: Command | null = cmd; c; c = c.parent) {
    for (const opt of c.options) {
      const v = c.getOptionValue(opt.attributeName());
      if (bad(v)) throw usageError('empty-value', `${opt.long ?? opt.flags}: the value given ${problem(v)}`, `give ${opt.long ?? opt.flags} a real value, or leave the option out`);
    }
  }
  cmd.registeredArguments.forEach((arg, i) => {
    const v: unknown = cmd.processedArgs[i];
    if (bad(v)) throw usageError('empty-value', `the <${arg.name()}> argument ${problem(v)}`, `see airgap ${cmd.name()} --help`);
  });
}

async function runWizard(ctx: Context, yes: boolean, overrides: ContextOverrides): Promise<number> {
  const { wizard } = await import('./wizard.js');
  const { inquirerPrompter } = await import('../ui/prompter.js');
  // Sub-commands see the same drives and config as the wizard itself.
  const globals = [...(ctx.drivesRoot ? ['--drives-root', ctx.drivesRoot] : []), ...(ctx.configExplicit ? ['--config', ctx.configPath] : []), ...(ctx.json ? ['--json'] : [])];
  return wizard({
    ctx,
    prompter: overrides.prompter ?? inquirerPrompter,
    unattended: yes || !ctx.interactive,
    run: (argv) => run([...globals, ...argv], { env: overrides.env, stdout: ctx.stdout, stderr: ctx.stderr, interactive: false, progress: ctx.progress, jsonLines: true }),
    ...(overrides.waitMs ? { waitMs: overrides.waitMs } : {}),
  });
}

/** Entry point for bin/airgap.js. */
export async function main(argv: string[]): Promise<void> {
  // `airgap list | head`: a closed pipe ends the output, not the program with a stack trace.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code !== 'EPIPE') throw e;
    });
  }
  // The fault suite's crash points (test/faults): a hard kill at a named step, like a power
  // cut, or a stop (SIGSTOP) so that the test can fill or pull the drive at that exact step.
  // Ctrl+C and SIGTERM: one listener for the life of the process (why: cli/interrupt.ts).
  installInterruptHandling();
  const signal = process.env.AIRGAP_FAILPOINT_ACTION === 'stop' ? 'SIGSTOP' : 'SIGKILL';
  setFailpointHandler(failpointFromSpec(process.env.AIRGAP_FAILPOINT, () => process.kill(process.pid, signal)));
  const code = await run(argv);
  if (code === EXIT.ok) process.exitCode = code;
  // A failed or cancelled run may leave I/O hanging (a dead drive): do not wait for it.
  else process.exit(code);
}
