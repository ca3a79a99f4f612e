// Builds dist/verify.html, the page written to every drive (docs/verify-in-a-browser.md): the
// page's TypeScript (src/page/, with the pure layout modules it shares with the CLI and
// @noble/hashes) bundled by esbuild into one inline script, the style inline, no external URL.
// Run by `npm run build` after tsc; the CLI reads the result from the installed package.
import { build } from 'esbuild';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const page = resolve(root, 'src/page');

const bundle = await build({
  entryPoints: [resolve(page, 'main.ts')],
  bundle: true,
  write: false,
  format: 'iife',
  platform: 'browser',
  target: ['chrome110', 'firefox110', 'safari16'],
  minify: true,
  legalComments: 'inline',
  logLevel: 'warning',
});
let script = bundle.outputFiles[0].text;
// The script sits inside <script>…</script>: a "</script" in it (in a string) would end it early.
script = script.replace(/<\/(script)/gi, '<\\/$1');
const css = await readFile(resolve(page, 'page.css'), 'utf8');
const { version } = JSON.parse(await readFile(resolve(root, 'package.json'), 'utf8'));
const template = await readFile(resolve(page, 'verify.template.html'), 'utf8');
const html = template
  .replace('/*STYLE*/', () => css)
  .replace('__VERSION__', () => version)
  .replace('/*SCRIPT*/', () => script);
if (/\b(src|href)\s*=\s*["']?(https?:)?\/\//i.test(html)) throw new Error('verify.html must not load anything from a URL');
const out = resolve(root, 'dist/verify.html');
await writeFile(`${out}.tmp`, html);
await rename(`${out}.tmp`, out);
console.log(`dist/verify.html: ${html.length} bytes`);
