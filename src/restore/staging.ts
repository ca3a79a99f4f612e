// The staging folder: made inside the target (same filesystem, so promote only renames),
// private, and marked as ours, so that one left behind by a killed restore can be told apart
// from anything else of that name.
import { randomBytes } from 'node:crypto';
import { lstat, mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { STAGING_NAME } from './extract-types.js';

/** Inside every staging folder: a later restore removes a leftover staging folder only if it holds this (it is ours). */
const STAGING_MARKER = `${STAGING_NAME}staging`;

/** Makes a fresh staging folder in `target` (which exists), with our marker in it; returns its path. */
export async function makeStaging(target: string): Promise<string> {
  const staging = join(target, STAGING_NAME + randomBytes(6).toString('hex'));
  await mkdir(staging, { mode: 0o700 });
  await writeFile(join(staging, STAGING_MARKER), '', { flag: 'wx' });
  return staging;
}

/**
 * A staging folder left by a killed restore is ours to remove: a real folder (never a link),
 * on the target's own filesystem (never a mount point), holding our marker. Anything else
 * of that name is left alone (it only makes the target non-empty).
 */
export async function removeLeftoverStaging(target: string, targetDev: number): Promise<void> {
  for (const n of await readdir(target).catch(() => [] as string[])) {
    if (!n.startsWith(STAGING_NAME)) continue;
    const st = await lstat(join(target, n)).catch(() => undefined);
    const marked = await lstat(join(target, n, STAGING_MARKER)).then((m) => m.isFile(), () => false);
    if (st?.isDirectory() && st.dev === targetDev && marked) await rm(join(target, n), { recursive: true, force: true });
  }
}
