// What the wizard may ask. Two implementations: @inquirer/prompts on a terminal, and a
// scripted one for tests (answers given in order; no module mocks).
import { discardTypeahead } from './discard-typeahead.js';

export interface Choice<T extends string> {
  value: T;
  name?: string;
  description?: string;
}

/** A validate answers true, or why the answer is refused (the prompt then asks again, saying why). */
export type Validate = (v: string) => string | true | Promise<string | true>;

export interface ConfirmOptions {
  /**
   * The question leads to writing or deleting (a snapshot, a label, accepting changes that lets
   * pruning go on): keys typed before it was shown are dropped, never taken as its answer.
   */
  writes?: boolean;
}

export interface Prompter {
  confirm(message: string, initial: boolean, opts?: ConfirmOptions): Promise<boolean>;
  select<T extends string>(message: string, choices: Choice<T>[], initial?: T): Promise<T>;
  input(message: string, initial?: string, validate?: Validate): Promise<string>;
  /** A secret: typed without echo (a passphrase). */
  password(message: string, validate?: Validate): Promise<string>;
}

/** The real prompts; @inquirer/prompts is loaded only when a question is asked. */
export const inquirerPrompter: Prompter = {
  async password(message, validate) {
    const { password } = await import('@inquirer/prompts');
    return password({ message, mask: true, ...(validate ? { validate } : {}) });
  },
  async confirm(message, initial, opts) {
    const { confirm } = await import('@inquirer/prompts');
    if (opts?.writes) await discardTypeahead();
    return confirm({ message, default: initial });
  },
  async select(message, choices, initial) {
    const { select } = await import('@inquirer/prompts');
    return select({ message, choices: choices.map((c) => ({ value: c.value, name: c.name ?? c.value, description: c.description })), default: initial });
  },
  async input(message, initial, validate) {
    const { input } = await import('@inquirer/prompts');
    return input({ message, default: initial, validate });
  },
};

/** Raised by the scripted prompter to stand for Ctrl+C at a prompt (as inquirer does). */
export class ScriptedCancel extends Error {
  override name = 'ExitPromptError';
}

/**
 * Answers from a list, in order; `'CANCEL'` cancels at that prompt. Records every question
 * (`asked`), the confirmations marked as writing (`writeConfirms`: typed-ahead keys are dropped
 * before those on a terminal), and answers a validate refused (`refused`: the question is asked
 * again, as on a terminal, and takes the next answer).
 */
export function scriptedPrompter(answers: (string | boolean)[]): Prompter & { asked: string[]; writeConfirms: string[]; refused: string[] } {
  const asked: string[] = [];
  const writeConfirms: string[] = [];
  const refused: string[] = [];
  const take = (message: string) => {
    if (answers.length === 0) throw new Error(`no scripted answer for: ${message}`);
    const a = answers.shift()!;
    if (a === 'CANCEL') throw new ScriptedCancel('cancelled at: ' + message);
    return a;
  };
  const next = (message: string) => {
    asked.push(message);
    return take(message);
  };
  return {
    asked,
    writeConfirms,
    refused,
    async confirm(message, _initial, opts) {
      if (opts?.writes) writeConfirms.push(message);
      return next(message) === true;
    },
    async select(message, choices) {
      const a = String(next(message));
      if (!choices.some((c) => c.value === a)) throw new Error(`scripted answer "${a}" is not a choice of: ${message}`);
      return a as never;
    },
    async input(message, initial, validate) {
      // An empty answer takes the default, as the real prompt does (and is validated as such).
      for (let a = String(next(message)) || (initial ?? ''); ; a = String(take(message)) || (initial ?? '')) {
        const ok = validate ? await validate(a) : true;
        if (ok === true) return a;
        refused.push(`${message} ← ${JSON.stringify(a)}: ${ok}`);
      }
    },
    async password(message, validate) {
      for (let a = String(next(message)); ; a = String(take(message))) {
        const ok = validate ? await validate(a) : true;
        if (ok === true) return a;
        refused.push(`${message} ← (secret): ${ok}`);
      }
    },
  };
}
