// Headless Chromium for the tests of verify.html: Debian's /usr/bin/chromium driven by
// playwright-core (no browser download). Absent Chromium, the tests skip and say why.
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import type { Sandbox } from './cli.js';

export const CHROMIUM = process.env.AIRGAP_TEST_CHROMIUM ?? '/usr/bin/chromium';
// AIRGAP_BROWSER_TESTS=0: the page runs in Chromium, whatever Node version built it, so CI runs
// these tests once (on Node 20) and not again on Node 22 and 24 (.ci/run).
const off = process.env.AIRGAP_BROWSER_TESTS === '0';
export const hasChromium = !off && existsSync(CHROMIUM);
if (off) console.log('[verify.html tests] skipped: AIRGAP_BROWSER_TESTS=0 (they ran on the first Node version; the page does not run on Node)');
else if (!hasChromium) console.log(`[verify.html tests] skipped: no Chromium at ${CHROMIUM} (apt-get install chromium, or set AIRGAP_TEST_CHROMIUM)`);

/**
 * A test file's headless Chromium, launched before its tests (when there is one) and closed after
 * them, with the sandboxes the file made (removed then too). Call at the top of the file.
 */
export function chromiumPerFile(): { browser: Browser; sandboxes: Sandbox[] } {
  const shared = { browser: undefined as unknown as Browser, sandboxes: [] as Sandbox[] };
  beforeAll(async () => { if (hasChromium) shared.browser = await launchChromium(); });
  afterAll(async () => {
    await shared.browser?.close();
    for (const sb of shared.sandboxes) await sb.cleanup();
  });
  return shared;
}

export async function launchChromium(): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  // --no-sandbox: CI runs as root, where Chromium's sandbox refuses to start.
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
}

/** What the page says, per snapshot and per file, read from its data-* attributes. */
export interface PageVerdicts {
  summary: string;
  snapshots: Record<string, {
    verdict: string; files: Record<string, string>; problems: string[]; text: string;
    /** Deep mode: the members not as the manifest says ("<code> <path>"), the walk's other findings' codes, later files hit by damage here. */
    members: string[]; deepCodes: string[]; dependants: string[]; membersChecked?: number;
  }>;
}

/**
 * Opens the drive's own airgap/verify.html from file://, picks its airgap folder (or `pick`) with
 * the folder picker and waits until the check is done. Any request off file:// fails the test.
 */
export async function verifyInPage(browser: Browser, drive: string, opts: { screenshot?: string; pick?: string; deep?: boolean } = {}): Promise<PageVerdicts & { offline: string[] }> {
  const page: Page = await browser.newPage({ viewport: { width: 1000, height: 900 } });
  const offline: string[] = [];
  page.on('request', (r) => { if (!r.url().startsWith('file:')) offline.push(r.url()); });
  try {
    const airgap = join(drive, 'airgap');
    await page.goto(pathToFileURL(join(airgap, 'verify.html')).href);
    await page.waitForSelector('body[data-state="ready"]');
    if (opts.deep) await page.check('#deep');
    await page.setInputFiles('#pick', opts.pick ?? airgap);
    await page.waitForSelector('body[data-state="done"]', { timeout: 120_000 });
    if (opts.screenshot) await page.screenshot({ path: opts.screenshot, fullPage: true });
    const v = (await page.evaluate(READ_VERDICTS)) as PageVerdicts;
    return { ...v, offline };
  } finally {
    await page.close();
  }
}

// Run in the page (a string: the tests are type-checked without the DOM's types).
const READ_VERDICTS = `(() => {
  const snapshots = {};
  for (const s of document.querySelectorAll('section[data-snapshot]')) {
    const files = {};
    for (const row of s.querySelectorAll('tr[data-file]')) files[row.dataset.file] = row.dataset.verdict;
    const problems = [...s.querySelectorAll('li.problem')].map((li) => li.textContent);
    const members = [...s.querySelectorAll('tr[data-member]')].map((r) => (r.dataset.code || r.dataset.verdict) + ' ' + r.dataset.member);
    const deepCodes = [...s.querySelectorAll('.deep li[data-code]')].map((li) => li.dataset.code);
    const dependants = [...s.querySelectorAll('li[data-path]')].map((li) => li.dataset.snapshot + ' ' + li.dataset.path);
    const deep = s.querySelector('.deep[data-checked]');
    const membersChecked = deep ? Number(deep.dataset.checked) : undefined;
    snapshots[s.dataset.snapshot] = { verdict: s.dataset.verdict, files, problems, text: s.textContent, members, deepCodes, dependants, membersChecked };
  }
  return { summary: document.getElementById('summary').dataset.verdict || '', snapshots };
})()`;
