// The run history's file (state/run-log.ts): rotation past its size into runs.1.jsonl (the older
// one replaced), reading both files in order, a line cut short by a crash skipped and counted
// (and never swallowing the next run's line), capped lines and a capped read.
import { appendFile, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { appendRun, readRuns, runLine, RUN_LOG_FILE, RUN_LOG_MAX_LINE_BYTES, RUN_LOG_OLD_FILE, type RunRecord } from '../../src/state/run-log.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'airgap-runlog-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const run = (i: number): RunRecord => ({
  at: new Date(Date.UTC(2026, 0, 1, 0, i)).toISOString(), command: i % 2 ? 'verify' : 'backup', drive: 'A',
  outcome: 'ok', exitCode: 0, figures: { files: i, bytes: i * 1000, seconds: 1.5 },
});
const lines = async (name: string) => (await readFile(join(dir, name), 'utf8')).split('\n').filter(Boolean).map((l) => JSON.parse(l) as RunRecord);

describe('run log: rotation', () => {
  it('renames runs.jsonl to runs.1.jsonl before it would pass the limit, replacing the older one; reading returns both in order', async () => {
    const LIMIT = 1000;
    const lineBytes = Buffer.byteLength(runLine(run(10)));
    const total = Math.ceil((3 * LIMIT) / lineBytes); // rotates at least twice
    for (let i = 0; i < total; i++) await appendRun(dir, run(i), { maxBytes: LIMIT });

    expect((await stat(join(dir, RUN_LOG_FILE))).size).toBeLessThanOrEqual(LIMIT);
    expect((await stat(join(dir, RUN_LOG_OLD_FILE))).size).toBeLessThanOrEqual(LIMIT);
    const older = await lines(RUN_LOG_OLD_FILE);
    const current = await lines(RUN_LOG_FILE);
    expect(older.length).toBeGreaterThan(0);
    expect(current.length).toBeGreaterThan(0);
    // The older file was replaced on the second rotation: it no longer starts at run 0.
    expect(older[0]!.figures?.files).toBeGreaterThan(0);

    const h = await readRuns(dir);
    expect(h.skipped).toBe(0);
    expect(h.truncated).toBe(false);
    // Both files, oldest first, one unbroken tail of what was written, ending with the last run.
    const first = total - h.runs.length;
    expect(h.runs.length).toBe(older.length + current.length);
    expect(h.runs.map((r) => r.figures?.files)).toEqual(Array.from({ length: h.runs.length }, (_, k) => first + k));
    expect(h.runs.at(-1)).toEqual(run(total - 1));
  });

  it('no history: no runs, nothing skipped', async () => {
    expect(await readRuns(join(dir, 'absent'))).toEqual({ runs: [], skipped: 0, truncated: false });
  });
});

describe('run log: damage and caps', () => {
  it('a line cut short is skipped and counted, and the next run starts a line of its own', async () => {
    await appendRun(dir, run(1));
    await appendFile(join(dir, RUN_LOG_FILE), '{"at":"2026-01-01T00:02:00.000Z","comm');
    let h = await readRuns(dir);
    expect(h.runs).toEqual([run(1)]);
    expect(h.skipped).toBe(1);
    await appendRun(dir, run(3));
    h = await readRuns(dir);
    expect(h.runs).toEqual([run(1), run(3)]);
    expect(h.skipped).toBe(1);
  });

  it('a line that parses but is not a run is skipped too', async () => {
    await writeFile(join(dir, RUN_LOG_FILE), '{"at":"yesterday","command":"backup"}\n[1,2]\n' + runLine(run(2)));
    const h = await readRuns(dir);
    expect(h.runs).toEqual([run(2)]);
    expect(h.skipped).toBe(2);
  });

  it('fields are capped: a line stays under PIPE_BUF whatever the drive name or error message', async () => {
    const r: RunRecord = { ...run(1), drive: 'x'.repeat(10_000), snapshot: '\u0001'.repeat(500), outcome: 'failed', exitCode: 1, error: { code: 'c'.repeat(500), message: '\u0002'.repeat(100_000) } };
    const line = runLine(r);
    expect(Buffer.byteLength(line)).toBeLessThanOrEqual(RUN_LOG_MAX_LINE_BYTES);
    expect(line.endsWith('\n')).toBe(true);
    await appendRun(dir, r);
    const h = await readRuns(dir);
    expect(h.runs).toHaveLength(1);
    expect(h.runs[0]).toMatchObject({ command: 'verify', outcome: 'failed', exitCode: 1 });
  });

  it('a file past the read cap: only its tail is read, from its first whole line', async () => {
    for (let i = 0; i < 50; i++) await appendRun(dir, run(i));
    const h = await readRuns(dir, { maxReadBytes: 1000 });
    expect(h.truncated).toBe(true);
    expect(h.skipped).toBe(0);
    expect(h.runs.length).toBeGreaterThan(0);
    expect(h.runs.length).toBeLessThan(50);
    expect(h.runs.at(-1)).toEqual(run(49));
  });
});
