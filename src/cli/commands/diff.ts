// `airgap diff <drive> [<a> <b>]`: the diff job, rendered as the gate's report or as JSON.
import { EXIT } from '../../core/errors.js';
import { diff } from '../../jobs/diff.js';
import { renderChanges } from '../../ui/render-changes.js';
import type { Context } from '../context.js';
import { printJson } from '../output.js';
import { sessionOf } from '../session-of.js';

export async function diffCommand(ctx: Context, spec: string, ids: string[]): Promise<number> {
  const r = await diff(sessionOf(ctx), spec, ids);
  const title = r.comparedWith === undefined
    ? `Changes from ${r.snapshots[0]} to ${r.snapshots[1]} on drive ${r.drive} (content not sampled):`
    : `Changes in the sources since ${r.comparedWith}:`;
  if (ctx.json) printJson(ctx, r);
  else ctx.stdout.write(renderChanges(r.report, title, r.verdict));
  return EXIT.ok;
}
