import { DEFAULT_GATE, compareListings, judgeChanges } from '../../core/change-analysis.js';
import { EXIT, usageError } from '../../core/errors.js';
import { baselinePath } from '../../state/baseline.js';
import { inspectChanges, manifestListing, sameSourcesSnapshot } from '../../gate/inspect.js';
import { readDriveContents, summarizeSnapshots } from '../../layout/drive-contents.js';
import { scanSources } from '../../snapshot/scan.js';
import { renderChanges } from '../../ui/render-changes.js';
import { loadConfig } from '../config.js';
import type { Context } from '../context.js';
import { findDrive } from '../find-drive.js';
import { printJson } from '../output.js';
import { sourceRoots } from '../sources.js';

/** `airgap diff <drive> [<a> <b>]`: what changed between two snapshots, or since the latest one. */
export async function diffCommand(ctx: Context, spec: string, ids: string[]): Promise<number> {
  if (ids.length === 1 || ids.length > 2) throw usageError('bad-args', 'give two snapshots, or none (to compare the sources with the latest snapshot)', 'e.g. airgap diff A 2026-11-14T093000Z 2026-11-21T093000Z');
  const config = await loadConfig(ctx.configPath, ctx.configExplicit);
  const drive = await findDrive(ctx, spec);
  const { snapshots } = await readDriveContents(drive.airgapDir);
  const complete = snapshots.filter((s) => s.complete);
  const pick = (id: string) => {
    const s = complete.find((x) => x.id === id);
    if (!s) throw usageError('unknown-snapshot', `drive ${drive.identity.name} has no complete snapshot ${id}`, `see airgap list ${drive.identity.name}`);
    return s;
  };
  const policy = config?.gate ?? DEFAULT_GATE;
  let title: string;
  let report;
  if (ids.length === 2) {
    const [a, b] = [pick(ids[0]!), pick(ids[1]!)];
    report = await compareListings(manifestListing(a.dir), manifestListing(b.dir), async () => undefined);
    title = `Changes from ${a.id} to ${b.id} on drive ${drive.identity.name} (content not sampled):`;
  } else {
    if (!config?.sources.length) throw usageError('no-sources', `no sources in the config (${ctx.configPath}) to compare with`, 'give two snapshot ids instead, or run airgap init');
    // The same comparison the backup gate makes: with the last accepted backup (the host's
    // baseline), else with the newest snapshot on the drive that is not an unaccepted suspect.
    const summaries = await summarizeSnapshots(drive.airgapDir);
    const roots = await sourceRoots(config.sources);
    const good = await sameSourcesSnapshot(complete.filter((s) => !summaries.find((x) => x.id === s.id)?.suspect), roots.map((r) => r.path));
    const scan = await scanSources(roots, { excludes: config.excludes });
    const result = await inspectChanges(scan.entries, baselinePath(ctx.stateDir, roots.map((r) => r.path)), good, policy, { now: ctx.clock(), warn: (m) => ctx.stderr.write(`warning: ${m}\n`) });
    if (!result) throw usageError('nothing-to-compare', `there is no earlier backup of these sources to compare with`, 'back up once first');
    report = result.report;
    title = `Changes in the sources since ${result.comparedWith}:`;
  }
  const verdict = judgeChanges(report, policy);
  if (ctx.json) printJson(ctx, { drive: drive.identity.name, snapshots: ids, report, verdict });
  else ctx.stdout.write(renderChanges(report, title, verdict));
  return EXIT.ok;
}
