// Confirming a destructive step: --yes, or a question on the terminal (through ui/prompter.ts,
// like the wizard's), or a refusal when there is no terminal to ask in.
import { usageError } from '../core/errors.js';
import { inquirerPrompter } from '../ui/prompter.js';
import type { Context } from './context.js';

export async function confirm(ctx: Context, message: string, yes: boolean | undefined): Promise<boolean> {
  if (yes) return true;
  if (!ctx.interactive) {
    throw usageError('confirmation-needed', `${message} needs confirmation, and there is no terminal to ask in`, 'pass --yes to confirm');
  }
  // A destructive step: keys typed while airgap was working out what it would do are no answer.
  return inquirerPrompter.confirm(message, false, { writes: true });
}

