// verify.html's throughput in headless Chromium (docs/performance.md), run by hand — a figure,
// not a test: the bench's large set (DATASETS[0], ~1 GiB at scale 1), one plain full backup of
// it (format 1) by the built CLI, then the drive's own verify.html picks the airgap folder and
// checks it. Prints MB/s over the bytes the page read, from the pick to its verdict. `--deep`
// ticks the page's deep check (every tarball member against the manifest, in the same read).
//   npm run build && npx tsc -p bench && node bench/verify-html.mjs [scale] [--deep]
import { mkdtemp, mkdir, rm } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { DATASETS } from '../.bench-build/bench/datasets.js';

const root = resolve(import.meta.dirname, '..');
const args = process.argv.slice(2);
const deep = args.includes('--deep');
const scale = Number(args.find((a) => a !== '--deep') ?? 1);
const tmp = await mkdtemp(join(tmpdir(), 'airgap-verify-html-'));
const env = { ...process.env, AIRGAP_STATE_DIR: join(tmp, 'state'), XDG_CONFIG_HOME: join(tmp, 'config'), AIRGAP_DRIVES_ROOT: join(tmp, 'drives') };
const airgap = (...args) => execFileSync(process.execPath, [join(root, 'bin/airgap.js'), ...args], { env, stdio: ['ignore', 'pipe', 'inherit'] }).toString();
try {
  const src = join(tmp, 'src');
  const drive = join(tmp, 'drives', 'A');
  await mkdir(drive, { recursive: true });
  console.log(`generating ${DATASETS[0].description} (scale ${scale}) …`);
  DATASETS[0].generate(src, 0x5eed_a19a, scale);
  airgap('label', drive, '--name', 'A', '--yes');
  airgap('backup', '--drive', 'A', '--source', src, '--format', '1');
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', headless: true, args: ['--no-sandbox'] });
  const page = await browser.newPage();
  await page.goto(pathToFileURL(join(drive, 'airgap', 'verify.html')).href);
  if (deep) await page.check('#deep');
  const t0 = performance.now();
  await page.setInputFiles('#pick', join(drive, 'airgap'));
  await page.waitForSelector('body[data-state="done"]', { timeout: 3_600_000 });
  const secs = (performance.now() - t0) / 1000;
  const verdict = await page.evaluate('document.getElementById("summary").textContent');
  const bytes = Number(execFileSync('du', ['-sb', '--exclude=verify.html', '--exclude=README.txt', '--exclude=drive.json', join(drive, 'airgap')]).toString().split('\t')[0]);
  await browser.close();
  console.log(verdict);
  console.log(`${deep ? 'deep, ' : ''}Chromium ${(await import('node:child_process')).execFileSync(process.env.CHROMIUM ?? '/usr/bin/chromium', ['--version']).toString().trim()}: ${(bytes / 1e6).toFixed(0)} MB in ${secs.toFixed(1)} s = ${(bytes / 1e6 / secs).toFixed(1)} MB/s`);
} finally {
  await rm(tmp, { recursive: true, force: true });
}
