// What the wizard may ask. Two implementations: @inquirer/prompts on a terminal, and a
// scripted one for tests (answers given in order; no module mocks).

export interface Choice<T extends string> {
  value: T;
  name?: string;
  description?: string;
}

export interface Prompter {
  confirm(message: string, initial: boolean): Promise<boolean>;
  select<T extends string>(message: string, choices: Choice<T>[], initial?: T): Promise<T>;
  input(message: string, initial?: string, validate?: (v: string) => string | true): Promise<string>;
}

/** The real prompts; @inquirer/prompts is loaded only when a question is asked. */
export const inquirerPrompter: Prompter = {
  async confirm(message, initial) {
    const { confirm } = await import('@inquirer/prompts');
    return confirm({ message, default: initial });
  },
  async select(message, choices, initial) {
    const { select } = await import('@inquirer/prompts');
    return select({ message, choices: choices.map((c) => ({ value: c.value, name: c.name ?? c.value, description: c.description })), default: initial });
  },
  async input(message, initial, validate) {
    const { input } = await import('@inquirer/prompts');
    return input({ message, default: initial, validate: validate ? (v: string) => validate(v) : undefined });
  },
};

/** Raised by the scripted prompter to stand for Ctrl+C at a prompt (as inquirer does). */
export class ScriptedCancel extends Error {
  override name = 'ExitPromptError';
}

/** Answers from a list, in order; `'CANCEL'` cancels at that prompt. Records every question. */
export function scriptedPrompter(answers: (string | boolean)[]): Prompter & { asked: string[] } {
  const asked: string[] = [];
  const next = (message: string) => {
    asked.push(message);
    if (answers.length === 0) throw new Error(`no scripted answer for: ${message}`);
    const a = answers.shift()!;
    if (a === 'CANCEL') throw new ScriptedCancel('cancelled at: ' + message);
    return a;
  };
  return {
    asked,
    async confirm(message) {
      return next(message) === true;
    },
    async select(message, choices) {
      const a = String(next(message));
      if (!choices.some((c) => c.value === a)) throw new Error(`scripted answer "${a}" is not a choice of: ${message}`);
      return a as never;
    },
    async input(message, _initial, validate) {
      const a = String(next(message));
      const ok = validate?.(a);
      if (ok !== undefined && ok !== true) throw new Error(`scripted answer "${a}" rejected: ${ok}`);
      return a;
    },
  };
}
