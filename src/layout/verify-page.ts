// airgap/verify.html, the page that verifies the drive in any browser (docs/verify-in-a-browser.md).
// It is built by `npm run build` (scripts/build-page.mjs, from src/page/) into dist/verify.html
// and shipped in the package; here it is read from there and written to a drive the way the
// README is (io/durable writeFileAtomic: a temporary name, fsync, rename), only when it differs.
// Users run dist/layout/verify-page.js, next to dist/verify.html; the tests run this file from
// src/, and read the same built page from dist/ (as io/worker-url.ts does for the workers).
import { lstat, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeFileAtomic } from '../io/durable.js';
import { readRegularFile } from '../io/read-regular.js';
import { VERIFY_PAGE } from './format.js';

/** The built page in the installed package. */
export function builtPagePath(moduleUrl = import.meta.url): string {
  const dist = moduleUrl.endsWith('.ts') ? new URL(moduleUrl.replace(/\/src\/layout\/[^/]+$/, '/dist/layout/x.js')) : new URL(moduleUrl);
  return fileURLToPath(new URL(`../${VERIFY_PAGE}`, dist));
}

let cached: Buffer | undefined;

/** The page's bytes; a missing page is an error that says how to get one (never a drive without it, silently). */
export async function verifyPageHtml(): Promise<Buffer> {
  if (cached) return cached;
  const path = builtPagePath();
  try {
    cached = await readFile(path);
  } catch (e) {
    throw new Error(`the browser page ${path} is missing (${(e as NodeJS.ErrnoException).code}): build airgap first (npm run build)`);
  }
  return cached;
}

/**
 * Writes airgap/verify.html when the drive's copy differs from this airgap's (a drive labelled by
 * an older version gets the current page). A folder in its place is not ours to remove; a link
 * or anything odd is replaced by the rename, never followed. Returns whether it was written.
 */
export async function refreshVerifyPage(airgapDir: string): Promise<boolean> {
  const want = await verifyPageHtml();
  const path = join(airgapDir, VERIFY_PAGE);
  const have = await readRegularFile(path, { maxBytes: want.length + 1 }).catch(() => undefined);
  if (have?.equals(want)) return false;
  const st = await lstat(path).catch(() => undefined);
  if (st?.isDirectory()) return false;
  await writeFileAtomic(path, want);
  return true;
}
