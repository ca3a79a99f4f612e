// Before any test: dist/ must be the build of the current sources. The e2e tests run the built
// CLI, and the unit tests start the compiled worker threads (src/io/worker-url.ts): a stale
// build would test yesterday's code. `npm test` builds first; a plain `npx vitest` is covered here.
import { execFileSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');
const files = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((d) => (d.isDirectory() ? files(join(dir, d.name)) : d.name.endsWith('.ts') ? [join(dir, d.name)] : []));
const mtime = (p: string) => { try { return statSync(p).mtimeMs; } catch { return -1; } };

/** What a source file is built into: the page's sources (and its template and style) into dist/verify.html. */
const builtOf = (f: string): string => {
  const rel = relative(join(ROOT, 'src'), f);
  return rel.startsWith('page/') ? join(ROOT, 'dist', 'verify.html') : join(ROOT, 'dist', rel).replace(/\.ts$/, '.js');
};

export default function setup(): void {
  const page = join(ROOT, 'src', 'page');
  const sources = [...files(join(ROOT, 'src')), ...readdirSync(page).filter((n) => /\.(html|css)$/.test(n)).map((n) => join(page, n))];
  const stale = sources.find((f) => mtime(builtOf(f)) < mtime(f));
  if (stale) {
    console.log(`[setup] dist/ is older than ${relative(ROOT, stale)}: building (tsc -p tsconfig.build.json, then the page: scripts/build-page.mjs)`);
    execFileSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(ROOT, 'tsconfig.build.json')], { stdio: 'inherit', cwd: ROOT });
    execFileSync(process.execPath, [join(ROOT, 'scripts', 'build-page.mjs')], { stdio: 'inherit', cwd: ROOT });
  }
}
