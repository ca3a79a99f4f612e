// A restore drill's own check (jobs/drill.ts): each file the drill restored is read back from
// the folder it was restored into and hashed again, against its manifest line's size and
// SHA-256. The restore already checked every member as it wrote it; this read proves what landed
// on the host's disk is the file, the way a user who restores it would find it. Files the
// restore itself named (damaged, refused, missing, left as they were) fail with its reason.
// Read no-follow and regular files only: a restored tree is ours, but never trusted blindly.
import { join } from 'node:path';
import { AirgapError, EXIT } from '../core/errors.js';
import { NotRegularFileError, openRegularFile, sha256OfHandle } from '../io/read-regular.js';
import type { ExtractReport, Issue } from './extract.js';

export interface ExpectedFile {
  path: string;
  size: number;
  sha256: string;
}

/** Each file's outcome: checked (the bytes are the manifest's), or why not. */
export interface Recheck {
  checked: number;
  bytes: number;
  failures: Issue[];
}

export async function recheckRestored(target: string, files: readonly ExpectedFile[], report: ExtractReport | undefined, signal?: AbortSignal): Promise<Recheck> {
  const named = new Map<string, string>();
  for (const list of [report?.damaged, report?.refused, report?.missing, report?.kept]) for (const i of list ?? []) if (!named.has(i.path)) named.set(i.path, i.reason);
  const out: Recheck = { checked: 0, bytes: 0, failures: [] };
  for (const f of files) {
    if (signal?.aborted) throw new AirgapError('cancelled', 'drill cancelled; its temporary folder was removed', EXIT.cancelled, 'run the drill again when you are ready');
    const reason = named.get(f.path) ?? await mismatch(join(target, f.path), f);
    if (reason) out.failures.push({ path: f.path, reason });
    else {
      out.checked++;
      out.bytes += f.size;
    }
  }
  return out;
}

/** Why the restored file is not the manifest's, or undefined when it is. */
async function mismatch(path: string, f: ExpectedFile): Promise<string | undefined> {
  let opened;
  try {
    opened = await openRegularFile(path);
  } catch (e) {
    if (e instanceof NotRegularFileError) return `restored as ${e.what}, not a file`;
    const code = (e as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? 'was not restored' : `cannot be read back after the restore: ${code ?? (e as Error).message}`;
  }
  const { fh, size } = opened;
  try {
    if (size !== f.size) return `restored with ${size} bytes, the manifest says ${f.size}`;
    return (await sha256OfHandle(fh)) === f.sha256 ? undefined : 'content does not match its SHA-256 in the manifest';
  } catch (e) {
    return `cannot be read back after the restore: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`;
  } finally {
    await fh.close();
  }
}
