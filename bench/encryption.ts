// Encrypted against plain, side by side in one run (issue 18's performance targets): a full
// backup of the large-file set (8 incompressible files, 1 GiB at BENCH_SCALE=1) and its restore,
// with and without encryption, alternating, BENCH_ROUNDS rounds (default 3), and the stock
// reference for each: `tar -xf` of the plain tarball, `age -d -i key | tar -xf -` of the
// encrypted one. The encrypted restore runs twice: with the passphrase (as a person restores; it
// opens KEY.age once, a fixed scrypt) and with the drive key's file (the cost per byte). Reports
// medians of wall seconds, CPU seconds and peak RSS, and the ratios.
//   npm run build && tsc -p bench && node .bench-build/bench/encryption.js
// Targets: encrypted backup ≤ 1.15× plain; encrypted restore ≤ 1.2× plain.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AIRGAP_BIN, log, round, writeResults } from './common.js';
import { DATASETS } from './datasets.js';
import { detectRssMethod, measure, type Measurement } from './measure.js';

const SCALE = Number(process.env.BENCH_SCALE ?? 1);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const PASSPHRASE = 'bench passphrase, not a secret';

interface Kind { name: 'plain' | 'encrypted'; flags: string[] }

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const started = new Date();
  const method = detectRssMethod();
  const tmp = mkdtempSync(join(process.env.TMPDIR ?? tmpdir(), 'airgap-bench-enc-'));
  try {
    const data = join(tmp, 'data', 'large');
    log(`generating the large set at scale ${SCALE}`);
    const stats = DATASETS[0]!.generate(data, 20261204, SCALE);
    const passFile = join(tmp, 'passphrase');
    writeFileSync(passFile, PASSPHRASE + '\n');
    const kinds: Kind[] = [{ name: 'plain', flags: [] }, { name: 'encrypted', flags: ['--passphrase-file', passFile] }];
    const runs: Record<string, Measurement[]> = {};
    const add = (k: string, m: Measurement) => (runs[k] ??= []).push(m);
    for (let r = 0; r < ROUNDS; r++) {
      // Alternating which goes first, so that a trend of the machine falls on both alike.
      for (const kind of r % 2 ? [...kinds].reverse() : kinds) await oneRound(tmp, data, kind, r, method, add);
    }
    const summary = Object.fromEntries(Object.entries(runs).map(([k, ms]) => [k, {
      seconds: round(median(ms.map((m) => m.seconds)), 2),
      cpuSeconds: ms.every((m) => m.cpuSeconds !== null) ? round(median(ms.map((m) => m.cpuSeconds!)), 2) : null,
      peakRssMb: ms.every((m) => m.peakRssKb !== null) ? round(median(ms.map((m) => m.peakRssKb! / 1024)), 0) : null,
    }]));
    const ratio = (a: string, b: string) => round(summary[a]!.seconds / summary[b]!.seconds, 2);
    const report = {
      started: started.toISOString(), scale: SCALE, rounds: ROUNDS, bytes: stats.bytes, rssMethod: method, summary,
      ratios: {
        backupEncryptedOverPlain: ratio('backup encrypted', 'backup plain'),
        restoreEncryptedOverPlain: ratio('restore encrypted', 'restore plain'),
        restoreKeyFileOverPlain: ratio('restore encrypted, key file', 'restore plain'),
        stockEncryptedOverPlain: ratio('stock age -d | tar -x', 'stock tar -x'),
        restoreEncryptedOverStock: ratio('restore encrypted', 'stock age -d | tar -x'),
      },
    };
    console.log(JSON.stringify(report, null, 2));
    log(`results: ${writeResults(report, started, 'encryption-', 'encryption-latest.json')}`);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** One sandbox: init, label, a full backup (timed), airgap restore (timed), the stock restore (timed). */
async function oneRound(tmp: string, data: string, kind: Kind, r: number, method: ReturnType<typeof detectRssMethod>, add: (k: string, m: Measurement) => void): Promise<void> {
  const box = join(tmp, `${kind.name}-${r}`);
  const drive = join(box, 'drives', 'A');
  mkdirSync(drive, { recursive: true });
  const env = { ...process.env, AIRGAP_STATE_DIR: join(box, 'state'), AIRGAP_CONFIG: join(box, 'config.json'), AIRGAP_DRIVES_ROOT: join(box, 'drives') };
  // Each measurement starts with no dirty pages left by the one before (1 GiB written a moment
  // ago would otherwise be flushed during the next, and slow whichever came second).
  const timed = (spec: Parameters<typeof measure>[0]) => {
    execFileSync('sync');
    return measure(spec, method, box);
  };
  const cli = (args: string[]) => timed({ argv: [process.execPath, AIRGAP_BIN, ...args], env, stdout: 'ignore' });
  await cli(['init', '--source', data, '--drives', 'A', '--yes', ...(kind.name === 'encrypted' ? ['--encrypt', ...kind.flags] : [])]);
  await cli(['label', drive, '--name', 'A', '--yes']);
  add(`backup ${kind.name}`, await cli(['backup', '--drive', 'A', '--full', ...kind.flags]));
  add(`restore ${kind.name}`, await cli(['restore', 'A', '--to', join(box, 'restored'), ...kind.flags]));
  const [id] = readdirSync(join(drive, 'airgap')).filter((n) => /^\d{4}-/.test(n));
  const out = join(box, 'stock');
  mkdirSync(out);
  if (kind.name === 'plain') {
    add('stock tar -x', await timed({ argv: ['tar', '-xf', join(drive, 'airgap', id!, `${id}.tar`), '-C', out] }));
  } else {
    const key = join(box, 'key.txt');
    writeFileSync(key, await driveKeyText(join(drive, 'airgap', 'KEY.age')), { mode: 0o600 });
    // The same restore with the drive key's file instead of the passphrase: what the bytes cost,
    // without the one scrypt (work factor 18: ~1.3 s and 256 MiB) that opening KEY.age takes.
    add('restore encrypted, key file', await cli(['restore', 'A', '--to', join(box, 'restored-key'), '--identity', key]));
    add('stock age -d | tar -x', await timed({ argv: ['sh', '-c', `age -d -i '${key}' '${join(drive, 'airgap', id!, `${id}.tar.age`)}' | tar -xf - -C '${out}'`] }));
  }
  rmSync(box, { recursive: true, force: true });
}

/** The drive key as `age -d airgap/KEY.age` prints it (age asks on a terminal only; here it is opened in-process). */
async function driveKeyText(keyAge: string): Promise<string> {
  const { unwrapKey } = await import('../src/crypto/key-wrap.js');
  const ids = await unwrapKey(readFileSync(keyAge), PASSPHRASE);
  return ids.map((i) => (i.kind === 'key' ? i.identity : '')).join('\n') + '\n';
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
