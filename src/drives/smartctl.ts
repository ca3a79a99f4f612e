// Runs `smartctl -j -a` on a disk, one -d type after another (core/drive-health.ts
// SMART_DEVICE_TYPES) until one reads its SMART data. execFile, never a shell; a timeout and an
// output cap per run (a disk behind a hung bridge must not hang airgap; the JSON of -a is ~10 KiB).
import { execFile } from 'node:child_process';
import { parseSmartctl, type HealthReading, type SmartParse } from '../core/smart-report.js';

const TIMEOUT_MS = 60_000;
const MAX_OUTPUT = 4 * 1024 * 1024;

export interface SmartAttempt {
  type: string;
  exit: number;
  /** Why it gave no reading: smartctl's own words. */
  messages: string[];
}

export type SmartRead =
  | { ok: true; reading: Omit<HealthReading, 'at'>; attempts: SmartAttempt[] }
  | { ok: false; missing: true }
  | { ok: false; missing?: false; attempts: SmartAttempt[] };

/** One smartctl run: its stdout and exit code, or 'missing' when there is no smartctl to run. */
export function runSmartctl(args: string[]): Promise<{ stdout: string; code: number } | 'missing'> {
  return new Promise((resolve) => {
    execFile('smartctl', args, { timeout: TIMEOUT_MS, maxBuffer: MAX_OUTPUT, encoding: 'utf8' }, (err, stdout) => {
      if (!err) return resolve({ stdout, code: 0 });
      const e = err as Omit<NodeJS.ErrnoException, 'code'> & { code?: string | number; killed?: boolean };
      if (e.code === 'ENOENT') return resolve('missing');
      // A non-zero exit is smartctl's answer (its bits). A timeout or an overflow is none: read
      // as bit 1 (the device did not answer), with no output (readSmart says what happened).
      if (typeof e.code === 'number' && !e.killed) return resolve({ stdout, code: e.code });
      resolve({ stdout: '', code: 2 });
    });
  });
}

/** Reads a disk's SMART, trying each type in turn; the attempts that gave nothing are kept for the error. */
export async function readSmart(device: string, types: readonly string[]): Promise<SmartRead> {
  const attempts: SmartAttempt[] = [];
  for (const type of types) {
    const run = await runSmartctl(['-j', '-a', ...(type === 'auto' ? [] : ['-d', type]), device]);
    if (run === 'missing') return { ok: false, missing: true };
    const parsed: SmartParse = parseSmartctl(run.stdout || timedOut(), run.code);
    if (parsed.ok) return { ok: true, reading: { ...parsed.reading, type }, attempts };
    attempts.push({ type, exit: run.code, messages: parsed.messages });
  }
  return { ok: false, attempts };
}

const timedOut = () => JSON.stringify({ smartctl: { messages: [{ string: `smartctl gave no answer within ${TIMEOUT_MS / 1000} s or printed more than ${MAX_OUTPUT} bytes` }] } });
