// Where a worker thread's script is. Users run the compiled dist/, where the worker sits next to
// the module that starts it. The unit tests run the TypeScript sources (src/), where no .js
// worker exists: they start the compiled worker from dist/ instead (npm test builds it first;
// test/global-setup.ts rebuilds a stale dist/), so that tests and users run the same threads.
// A missing worker is an error, never a silent switch to a different code path.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The compiled worker `script` (e.g. './hash-worker.js') of the module at `moduleUrl`. */
export function workerUrl(script: string, moduleUrl: string): URL {
  let url = new URL(script, moduleUrl);
  if (moduleUrl.endsWith('.ts')) url = new URL(url.href.replace(/\/src\/(?=[^/]+\/[^/]+$)/, '/dist/'));
  if (!existsSync(fileURLToPath(url))) {
    throw new Error(`the worker script ${fileURLToPath(url)} is missing: build airgap first (npm run build)`);
  }
  return url;
}
