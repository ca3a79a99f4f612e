// Is an archive member's path safe to create under a target folder? Pure checks, applied to
// every member before anything is written. A drive may have been tampered with: verification
// only proves the archive is the one that was written, not that it was written by us.

export const MAX_DEPTH = 1024;
export const MAX_PATH_BYTES = 4096;
export const MAX_NAME_BYTES = 255;

export type PathProblem =
  | 'empty' | 'absolute' | 'dot-dot' | 'dot' | 'drive-letter' | 'unc' | 'nul' | 'too-deep' | 'too-long' | 'name-too-long';

const MESSAGES: Record<PathProblem, string> = {
  empty: 'empty path',
  absolute: 'absolute path',
  'dot-dot': 'path contains ".."',
  dot: 'path contains "." or an empty component',
  'drive-letter': 'Windows drive letter',
  unc: 'Windows UNC path',
  nul: 'path contains a NUL byte',
  'too-deep': `more than ${MAX_DEPTH} levels deep`,
  'too-long': `longer than ${MAX_PATH_BYTES} bytes`,
  'name-too-long': `a name longer than ${MAX_NAME_BYTES} bytes`,
};

export const describePathProblem = (p: PathProblem) => MESSAGES[p];

/** Returns the components of a safe relative path, or the reason it is unsafe. */
export function checkMemberPath(path: string): { parts: string[] } | { problem: PathProblem } {
  if (path === '') return { problem: 'empty' };
  if (path.includes('\0')) return { problem: 'nul' };
  if (path.startsWith('/')) return { problem: 'absolute' };
  if (/^[A-Za-z]:/.test(path)) return { problem: 'drive-letter' };
  if (path.startsWith('\\\\') || path.startsWith('//')) return { problem: 'unc' };
  if (Buffer.byteLength(path) > MAX_PATH_BYTES) return { problem: 'too-long' };
  const parts = path.replace(/\/+$/, '').split('/');
  if (parts.length > MAX_DEPTH) return { problem: 'too-deep' };
  for (const p of parts) {
    if (p === '..') return { problem: 'dot-dot' };
    if (p === '.' || p === '') return { problem: 'dot' };
    // A backslash is an ordinary character on POSIX, but "..\" is a way out on Windows.
    if (/(^|\\)\.\.(\\|$)/.test(p)) return { problem: 'dot-dot' };
    if (Buffer.byteLength(p) > MAX_NAME_BYTES) return { problem: 'name-too-long' };
  }
  return { parts };
}

/** The key under which two paths collide on a case-insensitive or normalising filesystem. */
export const collisionKey = (path: string) => path.normalize('NFC').toLowerCase();

/**
 * Where a hard link's target lands, relative to the restore root, or undefined when it would
 * leave it. Tar hard-link targets are archive paths, relative to the archive root.
 */
export function hardlinkTarget(linkpath: string): string | undefined {
  const c = checkMemberPath(linkpath);
  return 'parts' in c ? c.parts.join('/') : undefined;
}

/** Whether a symlink at `path` pointing to `target` stays inside the restore root (lexically). */
export function symlinkStaysInside(path: string, target: string): boolean {
  if (target.startsWith('/')) return false;
  const stack = path.split('/').slice(0, -1);
  for (const p of target.split('/')) {
    if (p === '' || p === '.') continue;
    if (p === '..') {
      if (stack.length === 0) return false;
      stack.pop();
    } else stack.push(p);
  }
  return true;
}
