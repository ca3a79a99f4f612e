// The diff job: the mass-change report between two snapshots, or between the live sources and
// what the backup gate would compare them with (the last accepted backup, else the newest
// snapshot on the drive that is not an unaccepted suspect).
import { DEFAULT_GATE, compareListings, judgeChanges, type ChangeReport, type GateVerdict } from '../core/change-analysis.js';
import { usageError } from '../core/errors.js';
import { baselinePath } from '../state/baseline.js';
import { inspectChanges, manifestListing, sameSourcesSnapshot } from '../gate/inspect.js';
import { readDriveContents, summarizeSnapshots } from '../layout/drive-contents.js';
import { scanSources } from '../snapshot/scan.js';
import { findDrive } from './find-drive.js';
import { sourceRoots } from './sources.js';
import type { Session } from './session.js';

export interface DiffResult {
  drive: string;
  /** The two snapshots compared, or none (the sources against `comparedWith`). */
  snapshots: string[];
  comparedWith?: string;
  report: ChangeReport;
  verdict: GateVerdict;
}

export async function diff(s: Session, spec: string, ids: string[]): Promise<DiffResult> {
  if (ids.length === 1 || ids.length > 2) throw usageError('bad-args', 'give two snapshots, or none (to compare the sources with the latest snapshot)', 'e.g. airgap diff A 2026-11-14T093000Z 2026-11-21T093000Z');
  const config = await s.config();
  const drive = await findDrive(s, spec);
  const name = drive.identity.name;
  const complete = (await readDriveContents(drive.airgapDir)).snapshots.filter((x) => x.complete);
  const policy = config?.gate ?? DEFAULT_GATE;
  if (ids.length === 2) {
    const pick = (id: string) => {
      const found = complete.find((x) => x.id === id);
      if (!found) throw usageError('unknown-snapshot', `drive ${name} has no complete snapshot ${id}`, `see airgap list ${name}`);
      return found;
    };
    const [a, b] = [pick(ids[0]!), pick(ids[1]!)];
    const report = await compareListings(manifestListing(a, name), manifestListing(b, name), async () => undefined);
    return { drive: name, snapshots: ids, report, verdict: judgeChanges(report, policy) };
  }
  if (!config?.sources.length) throw usageError('no-sources', `no sources in the config (${s.env.configPath}) to compare with`, 'give two snapshot ids instead, or run airgap init');
  const summaries = await summarizeSnapshots(drive.airgapDir);
  const roots = await sourceRoots(config.sources);
  const good = await sameSourcesSnapshot(complete.filter((x) => !summaries.find((y) => y.id === x.id)?.suspect), roots.map((r) => r.path));
  const scan = await scanSources(roots, { excludes: config.excludes });
  const result = await inspectChanges(scan.entries, baselinePath(s.env.stateDir, roots.map((r) => r.path)), good, policy, { now: s.now, warn: (m) => s.log.warn(m) });
  if (!result) throw usageError('nothing-to-compare', `there is no earlier backup of these sources to compare with`, 'back up once first');
  return { drive: name, snapshots: ids, comparedWith: result.comparedWith, report: result.report, verdict: judgeChanges(result.report, policy) };
}
