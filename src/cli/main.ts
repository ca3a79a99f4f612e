// Composition root: parses the command line, builds the context, runs one command, and turns
// its outcome into an exit code (through exit.ts). Nothing else reads process.argv or env.
import { Command } from 'commander';
import { EXIT, usageError } from '../core/errors.js';
import { makeContext, toolVersion, type Context, type GlobalFlags } from './context.js';
import { reportError } from './exit.js';
import { defineCommands } from './program.js';
import { installInterruptHandling } from './interrupt.js';
import { failpointFromSpec, setFailpointHandler } from '../io/failpoint.js';
import { installKeySource, type SecretFlags } from './secrets.js';
import { inquirerPrompter } from '../ui/prompter.js';

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
    const flags = cmd.optsWithGlobals() as GlobalFlags & SecretFlags;
    ctx = { ...makeContext(flags, env), ...fields };
    if (ctx.json) ctx.progress = false;
    // Encrypted drives: where a key or the passphrase comes from, read only when one is needed.
    installKeySource({
      flags: { identity: flags.identity, passphraseFile: flags.passphraseFile, passphraseEnv: flags.passphraseEnv },
      env: env ?? process.env, configPath: ctx.configPath,
      ...(ctx.interactive ? { prompter: overrides.prompter ?? inquirerPrompter } : {}),
    });
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
    .option('--identity <file>', 'encrypted drives: an age key file (AGE-SECRET-KEY-1…) the drive is encrypted to')
    .option('--passphrase-file <file>', "encrypted drives: read the drives' passphrase from this file (first line)")
    .option('--passphrase-env <var>', "encrypted drives: read the drives' passphrase from this environment variable")
    .exitOverride()
    .configureOutput({ writeOut: (s) => out.write(s), writeErr: (s) => err.write(s) });

  defineCommands(program, { context, set: (c) => (code = c), wizard: (c, yes) => runWizard(c, yes, overrides) });

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
  const { sessionOf } = await import('./session-of.js');
  // Inside the wizard's event stream, each job's result is one JSON line.
  const inner: Context = { ...ctx, jsonLines: true };
  return wizard({
    ctx: inner,
    s: sessionOf(inner),
    prompter: overrides.prompter ?? inquirerPrompter,
    unattended: yes || !ctx.interactive,
    // A failed step is reported and the flow goes on; Ctrl+C at a prompt still ends the wizard (exit 130).
    attempt: (step) => step().catch((e: unknown) => {
      if (e instanceof Error && e.name === 'ExitPromptError') throw e;
      return reportError(e, inner);
    }),
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
