// The size a full snapshot of the sources would have, measured by walking them (nothing is read
// but names and sizes): what `init` and `label` compare a drive with before any backup exists.
import { estimateSize } from '../snapshot/scan-totals.js';
import { scanSources } from '../snapshot/scan.js';
import type { Config } from '../state/config.js';
import { sourceRoots } from './sources.js';

/** Undefined when a source cannot be walked: the size warning is advice, never a reason to fail. */
export async function measureSources(config: Pick<Config, 'sources' | 'excludes'>): Promise<number | undefined> {
  try {
    const scan = await scanSources(await sourceRoots(config.sources), { excludes: config.excludes });
    return estimateSize(scan);
  } catch {
    return undefined;
  }
}
