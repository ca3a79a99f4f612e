// `airgap recovery-sheet [--output FILE]`: the printable sheet (HTML) for the encrypted drives.
// Written to a file created private (0600, never over an existing one), or to stdout.
import { EXIT, refusal } from '../../core/errors.js';
import { createFileSynced } from '../../io/durable.js';
import { recoverySheet } from '../../jobs/recovery-sheet.js';
import { renderRecoverySheet } from '../../ui/render-recovery-sheet.js';
import type { Context } from '../context.js';
import { printJson } from '../output.js';
import { sessionOf } from '../session-of.js';

export async function recoverySheetCommand(ctx: Context, flags: { output?: string }): Promise<number> {
  const sheet = await recoverySheet(sessionOf(ctx));
  if (ctx.json) {
    printJson(ctx, sheet);
    return EXIT.ok;
  }
  const html = renderRecoverySheet(sheet);
  if (flags.output === undefined) {
    ctx.stdout.write(html);
    return EXIT.ok;
  }
  await createFileSynced(flags.output, html, 0o600).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'EEXIST') throw refusal('output-exists', `${flags.output} exists already`, 'give a new file name (the sheet is never written over a file)');
    throw e;
  });
  ctx.stderr.write(`Wrote the recovery sheet to ${flags.output}: open it in a browser and print it.\nIt is a SECRET: keep the paper away from the drives, and delete the file once printed.\n`);
  return EXIT.ok;
}
