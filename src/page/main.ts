// verify.html's script: the user picks (or drops) the drive's airgap folder; every snapshot is
// checked against its SHA256SUMS (check-snapshot.ts), then the links between them
// (check-chain.ts); the verdicts are shown as they come, with a progress line. Runs offline
// from a file:// URL: no network, nothing outside this page (its CSP forbids both).
import { blobReader } from './blob-reader.js';
import { bytesToRead, checkSnapshot, type SnapshotResult } from './check-snapshot.js';
import { judgeChains } from './check-chain.js';
import { DeepDrive } from './deep-drive.js';
import { driveTree, type Picked } from './drive-tree.js';
import { pickedFromDrop, pickedFromInput } from './pick-folder.js';
import { progressText, type Progress } from './progress.js';
import { snapshotSection, summaryText } from './render.js';

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;

let running = false;

async function verify(picked: Picked<Blob>[]): Promise<void> {
  if (running) return;
  running = true;
  document.body.dataset.state = 'running';
  const results = $('results');
  const summary = $('summary');
  results.replaceChildren();
  summary.textContent = '';
  try {
    const tree = driveTree(picked);
    if ('error' in tree) {
      summary.textContent = tree.error;
      summary.dataset.verdict = 'ERROR';
      return;
    }
    $('where').textContent = `Checking ${tree.root}: ${tree.snapshots.length} snapshot${tree.snapshots.length === 1 ? '' : 's'}`;
    const p: Progress = { done: 0, total: 0, startedMs: performance.now() };
    const reader = blobReader((n) => { p.done += n; showProgress(p); });
    for (const s of tree.snapshots) p.total += bytesToRead(s, reader);
    // Deep mode walks each plain tarball in the same read that hashes it (a format 3 one inflated
    // block by block on the way): no byte is read twice,
    // but for the delta'd files it rebuilds (delta-rebuild.ts), whose bytes are added to the total.
    const deep = $<HTMLInputElement>('deep').checked ? new DeepDrive(tree, {
      // A delta'd file's rebuild reads its bytes again: counted in both, so the bar stays honest.
      more: (n) => { p.total += n; },
      read: (n) => { p.done += n; showProgress(p); },
    }) : undefined;
    const out: SnapshotResult[] = [];
    for (const s of tree.snapshots) {
      const tap = deep?.forSnapshot(s);
      const r = await checkSnapshot(s, reader, tap);
      await tap?.done(r);
      out.push(r);
      results.append(snapshotSection(r, deep?.results.get(r.id)));
    }
    judgeChains(out); // may turn an OK snapshot DAMAGED: shown again
    deep?.dependants(out);
    results.replaceChildren(...out.map((r) => snapshotSection(r, deep?.results.get(r.id))));
    p.done = p.total;
    showProgress(p, true);
    const sum = summaryText(out, deep !== undefined);
    summary.textContent = sum.text;
    summary.dataset.verdict = sum.verdict;
  } catch (e) {
    summary.textContent = `The check stopped: ${(e as Error).message}. Nothing below is a verdict.`;
    summary.dataset.verdict = 'ERROR';
  } finally {
    running = false;
    document.body.dataset.state = 'done';
  }
}

let lastDraw = 0;
function showProgress(p: Progress, force = false): void {
  const now = performance.now();
  if (!force && now - lastDraw < 200) return; // drawing costs: a few times a second is enough
  lastDraw = now;
  const bar = $<HTMLProgressElement>('bar');
  bar.max = Math.max(p.total, 1);
  bar.value = p.done;
  $('rate').textContent = progressText(p, now);
}

function start(): void {
  const input = $<HTMLInputElement>('pick');
  input.addEventListener('change', () => { if (input.files?.length) void verify(pickedFromInput(input.files)); });
  const drop = $('drop');
  drop.addEventListener('dragover', (e) => { e.preventDefault(); drop.classList.add('over'); });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => {
    e.preventDefault();
    drop.classList.remove('over');
    if (e.dataTransfer) void pickedFromDrop(e.dataTransfer.items).then(verify);
  });
  document.body.dataset.state = 'ready';
}

start();
