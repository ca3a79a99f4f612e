// The one rule for a damaged file of host state (the catalog, a gate baseline): it is never
// silently reset nor trusted. It is moved aside under a dated name, the user is told where, and
// airgap rebuilds it (the catalog from the drives as they are seen, a baseline at the next
// accepted backup).
import { rename } from 'node:fs/promises';
import { refusal } from '../core/errors.js';

/** The name a damaged state file is moved to: `<file>.damaged-<UTC stamp>`. */
export const asideName = (file: string, now: Date) => `${file}.damaged-${now.toISOString().replace(/[:.]/g, '')}`;

/**
 * Moves a damaged state file aside; returns its new name. If it cannot be moved, airgap stops
 * (exit 4, `how.code`) rather than overwrite or ignore it; `how.what` names it ("the catalog"),
 * `how.rebuilt` says how airgap rebuilds it.
 */
export async function setAside(file: string, now: Date, how: { code: string; what: string; rebuilt: string }): Promise<string> {
  const aside = asideName(file, now);
  try {
    await rename(file, aside);
  } catch (e) {
    throw refusal(how.code, `${how.what} ${file} is damaged, and cannot be moved aside: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      `move it out of the way by hand (${how.rebuilt})`);
  }
  return aside;
}
