import { DEFAULT_GATE, compareListings, judgeChanges } from '../../core/change-analysis.js';
import { EXIT, usageError } from '../../core/errors.js';
import { manifestListing, sampleEntropy, scanListing } from '../../gate/inspect.js';
import { readDriveContents } from '../../snapshot/drive-contents.js';
import { scanSources } from '../../snapshot/scan.js';
import { renderChanges } from '../../ui/render-changes.js';
import { loadConfig } from '../config.js';
import type { Context } from '../context.js';
import { findDrive, printJson } from '../shared.js';
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
    const latest = complete.at(-1);
    if (!latest) throw usageError('no-snapshots', `drive ${drive.identity.name} holds no complete snapshot`, 'back up to it first');
    if (!config?.sources.length) throw usageError('no-sources', `no sources in the config (${ctx.configPath}) to compare with`, 'give two snapshot ids instead, or run airgap init');
    const roots = await sourceRoots(config.sources);
    const scan = await scanSources(roots, { excludes: config.excludes });
    report = await compareListings(manifestListing(latest.dir), scanListing(scan.entries), (e) => sampleEntropy((e as { abs: string } & typeof e).abs));
    title = `Changes in the sources since snapshot ${latest.id} on drive ${drive.identity.name}:`;
  }
  const verdict = judgeChanges(report, policy);
  if (ctx.json) printJson(ctx, { drive: drive.identity.name, snapshots: ids, report, verdict });
  else ctx.stdout.write(renderChanges(report, title, verdict));
  return EXIT.ok;
}
