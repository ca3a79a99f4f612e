// The one place where failures become messages and exit codes (docs/cli.md lists them).
import { CommanderError } from 'commander';
import { damage, EXIT, isAirgapError, type AirgapError } from '../core/errors.js';
import { MANIFEST_FILE, SUMS_FILE } from '../layout/format.js';
import { ManifestSyntaxError } from '../layout/manifest.js';
import { SumSyntaxError } from '../layout/sha256sums.js';
import { displayText } from '../ui/render.js';
import type { Context } from './context.js';

/** The error as airgap reports it, when it is one of ours (undefined: a bug, a cancelled prompt, commander's). */
export function asAirgapError(e: unknown): AirgapError | undefined {
  // Damaged on-drive data that a command read without catching it is still damage (exit 3), not a bug.
  if (e instanceof ManifestSyntaxError) return damage('manifest-invalid', `${e.file ?? MANIFEST_FILE} is damaged: ${e.message}`, 'run airgap verify <drive> --deep, and restore from another drive');
  if (e instanceof SumSyntaxError) return damage('sums-invalid', `${SUMS_FILE} is damaged: ${e.message}`, 'run airgap verify <drive>, and restore from another drive');
  return isAirgapError(e) ? e : undefined;
}

/** The exit code reportError gives an error (the run history records it before the error is reported). */
export function exitCodeOf(e: unknown): number {
  const known = asAirgapError(e);
  if (known) return known.exitCode;
  if (e instanceof CommanderError) return EXIT.usage;
  return e instanceof Error && e.name === 'ExitPromptError' ? EXIT.cancelled : EXIT.internal;
}

export function reportError(e: unknown, ctx: Pick<Context, 'stderr' | 'stdout' | 'json'>): number {
  e = asAirgapError(e) ?? e;
  if (isAirgapError(e)) {
    // A message may quote what a damaged drive holds: escaped for the terminal (the JSON keeps it as it is).
    ctx.stderr.write(`error: ${displayText(e.message)}\n`);
    if (e.hint) ctx.stderr.write(`hint: ${displayText(e.hint)}\n`);
    if (ctx.json) ctx.stdout.write(JSON.stringify({ ok: false, error: { code: e.code, message: e.message, hint: e.hint ?? null, exitCode: e.exitCode, ...(e.details !== undefined ? { details: e.details } : {}) } }) + '\n');
    return e.exitCode;
  }
  if (e instanceof CommanderError) {
    // commander already printed its message; help and version are not errors.
    if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return EXIT.ok;
    ctx.stderr.write('hint: run `airgap --help` or `airgap <command> --help` for the usage\n');
    if (ctx.json) ctx.stdout.write(JSON.stringify({ ok: false, error: { code: 'usage', message: e.message.replace(/^error: /, ''), hint: null, exitCode: EXIT.usage } }) + '\n');
    return EXIT.usage;
  }
  if (e instanceof Error && e.name === 'ExitPromptError') {
    ctx.stderr.write('cancelled\n');
    return EXIT.cancelled;
  }
  ctx.stderr.write(`internal error (this is a bug in airgap; please report it):\n${e instanceof Error ? e.stack : String(e)}\n`);
  return EXIT.internal;
}
