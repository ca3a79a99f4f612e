// Format 2 gzips MANIFEST.tsv and FILES.sha256 (MANIFEST.tsv.gz, FILES.sha256.gz): tests read
// and forge them as text through these.
import { gunzipSync, gzipSync } from 'node:zlib';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export const MANIFEST_GZ = 'MANIFEST.tsv.gz';
export const FILE_SUMS_GZ = 'FILES.sha256.gz';

/** A format 2 snapshot folder's MANIFEST.tsv.gz, inflated. */
export async function readManifestV2(dir: string): Promise<string> {
  return gunzipSync(await readFile(join(dir, MANIFEST_GZ))).toString('utf8');
}

/** Writes text as a format 2 snapshot folder's MANIFEST.tsv.gz (the caller re-sums it if it must pass). */
export async function writeManifestV2(dir: string, text: string): Promise<void> {
  await writeFile(join(dir, MANIFEST_GZ), gzipSync(Buffer.from(text)));
}

/** A format 2 snapshot folder's FILES.sha256.gz, inflated. */
export async function readFileSumsV2(dir: string): Promise<string> {
  return gunzipSync(await readFile(join(dir, FILE_SUMS_GZ))).toString('utf8');
}
