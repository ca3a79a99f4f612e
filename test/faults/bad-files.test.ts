// Bad files and bad input, fuzz-style: malformed configs, drive identity files (airgap/drive.json),
// snapshot files (snapshot.json, MANIFEST.tsv, FILES.sha256, SHA256SUMS), the host catalog and
// bad command lines — truncated, wrong types, huge, binary, NUL bytes, byte order marks, UTF-16,
// unicode tricks (lone surrogates, bidi overrides, zero-width characters, look-alikes), CRLF,
// too many or too few fields, negative, NaN and 1e400 numbers.
//
// Every run must end with an expected exit code — 2 bad config or arguments, 3 damaged data on
// the drive, 4 refused by the environment, 0 where the input is still valid or only a warning is
// due — never 1, a signal or a hang; print a line naming the file (and the field, where there is
// one); never a stack trace; and never echo raw control, bidi or invisible characters.
//
// Two layers, one set of checks:
//   - the table: named cases, each run in-process on every command of its family, and a sample
//     through the built CLI (bin/airgap.js → dist/): about 130 spawns, two at a time, alongside;
//   - seeded random extras (RANDOM per family), in-process only: `run()` from src/cli/main.ts is
//     the CLI's own entry point, given the same environment. Independent oracles say what each
//     mutation must do (for SHA256SUMS: what `sha256sum -c` would accept).
// In-process runs use src/, CLI runs use dist/: until dist/ is rebuilt, they can differ.
//
// Reproduce a random case: AIRGAP_BADFILES_SEED=<seed> (default below) regenerates the same
// inputs; a failure names the case ("random config #17") and its mutation.
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmod, cp, mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { accessSync, constants } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { BIN } from '../helpers/cli.js';
import { recordFigures } from '../helpers/figures.js';
import { makeTree } from '../helpers/tree.js';
import { run as runAirgap } from '../../src/cli/main.js';
import { identitySchema, snapshotMetaSchema } from '../../src/layout/format.js';
import { check } from '../../src/core/validate.js';
import { MANIFEST_HEADER, parseManifestLine, type ManifestEntry } from '../../src/layout/manifest.js';
import { mulberry32 } from '../helpers/prng.js';

const SEED = Number(process.env.AIRGAP_BADFILES_SEED ?? 20261122) >>> 0;
const RANDOM = Number(process.env.AIRGAP_BADFILES_RANDOM ?? 200);
const CLI_TIMEOUT_MS = 120_000; // a hang cap, generous for a loaded machine
const IN_PROCESS_TIMEOUT_MS = 120_000;
const CLI_CONCURRENCY = 2; // plus the in-process runs alongside: three busy threads on this 2-core machine
const IT_TIMEOUT_MS = 300_000;
const IS_ROOT = process.getuid?.() === 0;
/** Where the sandboxes live: a RAM file system when there is one (every catalog save fsyncs). */
const TMP = process.env.AIRGAP_BADFILES_TMP ?? (() => {
  try {
    accessSync('/dev/shm', constants.W_OK);
    return '/dev/shm';
  } catch {
    return tmpdir();
  }
})();

// ---------------------------------------------------------------------------------------------
// Outcomes and the checks every run must pass

type Family = 'config' | 'identity' | 'snapshot' | 'catalog' | 'cli-input';
type Via = 'cli' | 'in-process';
type Pattern = string | RegExp;
type Env = Record<string, string>;

interface Outcome { code: number; signal: string | null; stdout: string; stderr: string; ms: number; timedOut: boolean }

interface Want {
  codes: number[];
  /** One line of the output must name one of these (the file) when the run fails, or always with `warn`. */
  names?: Pattern[];
  /** ...and that line must also name one of these (the field). */
  field?: Pattern[];
  warn?: boolean;
  /** The input is the user's own command line: echoing it as typed is no injection. */
  rawOk?: boolean;
  /** Extra checks on the side effects (nothing written, nothing outside the target); returns problems. */
  after?: () => Promise<string[]>;
}

interface Result {
  family: Family;
  case: string;
  command: string;
  via: Via;
  code: number;
  signal: string | null;
  ms: number;
  problems: string[];
  unnamed: boolean;
  crash: boolean;
  excerpt: string;
}

const results: Result[] = [];
let spawns = 0;
const started = Date.now();

/** Raw characters that can drive or fool a terminal: C0/C1 controls (but tab and newline), bidi controls, zero-width and BOM. */
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/;
const STACK = /^\s+at \S/m;
const DUMP = /internal error|\b(TypeError|RangeError|ReferenceError)\b|SyntaxError: Unexpected/;

const has = (line: string, p: Pattern) => (typeof p === 'string' ? line.includes(p) : p.test(line));
const show = (p: Pattern[]) => p.map((x) => (typeof x === 'string' ? JSON.stringify(x) : String(x))).join(' or ');
const codepoint = (c: string) => `U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;

function judge(o: Outcome, want: Want): Pick<Result, 'problems' | 'unnamed' | 'crash'> {
  const problems: string[] = [];
  let unnamed = false;
  if (o.timedOut) problems.push('no exit in time (hang)');
  else if (o.signal) problems.push(`killed by ${o.signal}`);
  else if (!want.codes.includes(o.code)) problems.push(`exit ${o.code}, expected ${want.codes.join(' or ')}`);
  const all = `${o.stderr}\n${o.stdout}`;
  if (STACK.test(all)) problems.push('stack trace');
  if (DUMP.test(o.stderr)) problems.push('raw error dump');
  if (!o.timedOut && (o.code === 2 || o.code === 4)) {
    if (!/^error: \S/m.test(o.stderr)) problems.push('no "error:" line');
    if (!/^hint: \S/m.test(o.stderr)) problems.push('no "hint:" line');
  }
  if (want.names && !o.timedOut && (o.code !== 0 || want.warn)) {
    const lines = all.split('\n').filter((l) => want.names!.some((p) => has(l, p)));
    if (lines.length === 0) {
      problems.push(`no line names ${show(want.names)}`);
      unnamed = true;
    } else if (want.field && !lines.some((l) => want.field!.some((p) => has(l, p)))) {
      problems.push(`the line naming ${show(want.names)} does not name the field ${show(want.field)}`);
    }
  }
  const raw = want.rawOk ? null : UNSAFE.exec(all);
  if (raw) problems.push(`raw ${codepoint(raw[0])} in the output`);
  const crash = o.timedOut || o.signal !== null || o.code === 1 || STACK.test(all) || DUMP.test(o.stderr);
  return { problems, unnamed, crash };
}

function excerpt(o: Outcome): string {
  const pick = (s: string) => s.split('\n').filter((l) => /error|hint|DAMAGE|warning|WARNING|at |Restored|REFUSED|No match|Summary/.test(l)).slice(0, 4).join(' | ');
  const text = [pick(o.stderr), pick(o.stdout)].filter(Boolean).join(' || ') || o.stderr.slice(0, 200) || o.stdout.slice(0, 200);
  return JSON.stringify(text.length > 400 ? `${text.slice(0, 400)}…` : text);
}

async function record(family: Family, name: string, command: string[], via: Via, o: Outcome, want: Want): Promise<Result> {
  const j = judge(o, want);
  if (want.after) j.problems.push(...(await want.after()));
  const r: Result = {
    family, case: name, command: command.map((a) => (a.length > 40 ? `${a.slice(0, 20)}…(${a.length})` : a)).join(' '), via,
    code: o.code, signal: o.signal, ms: Math.round(o.ms), excerpt: excerpt(o), ...j,
  };
  results.push(r);
  return r;
}

const commandKind = (c: string) => c.replace(/(?<=^| )\/\S+/g, '<path>').replace(/\d{4}-\d\d-\d\dT\d{6}Z/g, '<id>');
const problemKind = (p: string) => p.replace(/(changed|wrote): .*/, '$1').split(root).join('<tmp>');

/** Failures grouped by command and problem: how many, which cases, and one full example. */
function assertAllPassed(list: Result[]): void {
  const bad = list.filter((r) => r.problems.length > 0);
  if (bad.length === 0) return;
  const groups = new Map<string, Result[]>();
  for (const r of bad) {
    const key = `[${r.via}] airgap ${commandKind(r.command)} → ${r.problems.map(problemKind).join('; ')}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  const body = [...groups].map(([k, rs]) => {
    const names = [...new Set(rs.map((r) => r.case))];
    const e = rs[0]!;
    return `  ${rs.length} × ${k}\n    cases: ${names.slice(0, 30).join(' · ')}${names.length > 30 ? ` · … ${names.length - 30} more` : ''}\n    e.g. "${e.case}": airgap ${e.command}\n      ${e.problems.join('; ')}\n      output: ${e.excerpt}`;
  }).join('\n');
  throw new Error(`${bad.length} of ${list.length} runs failed, in ${groups.size} groups:\n${body}`);
}

// ---------------------------------------------------------------------------------------------
// Running airgap: the built CLI (with a time limit: a hang is a finding, not a stuck suite), or
// in-process through the CLI's entry point.

const HALF_BUILT = /does not provide an export named|ERR_MODULE_NOT_FOUND|Cannot find module '[^']*dist/;
const OUTPUT_CAP = 2 * 1024 * 1024;

function spawnCli(args: string[], env: Env, cwd: string, timeoutMs = CLI_TIMEOUT_MS): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    spawns++;
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', NO_COLOR: '1', ...env }, stdio: ['pipe', 'pipe', 'pipe'],
      timeout: timeoutMs, killSignal: 'SIGKILL',
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const keep = (into: Buffer[]) => (d: Buffer) => { if (into.reduce((n, b) => n + b.length, 0) < OUTPUT_CAP) into.push(d); };
    child.stdout.on('data', keep(out));
    child.stderr.on('data', keep(err));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const ms = performance.now() - t0;
      const [stdout, stderr] = [Buffer.concat(out).toString('utf8'), Buffer.concat(err).toString('utf8')];
      resolve({ code: code ?? -1, signal, stdout, stderr, ms, timedOut: signal === 'SIGKILL' && ms >= timeoutMs - 100 });
    });
    child.stdin.on('error', () => {}); // EPIPE when the command exits before reading its input: expected
    child.stdin.end('');
  });
}

async function viaCli(args: string[], env: Env, cwd: string, timeoutMs?: number): Promise<Outcome> {
  for (let attempt = 1; ; attempt++) {
    const o = await spawnCli(args, env, cwd, timeoutMs);
    // dist/ may be in the middle of a rebuild: wait for it to settle, then run again.
    if (attempt < 4 && HALF_BUILT.test(o.stderr)) {
      await new Promise((r) => setTimeout(r, 30_000));
      continue;
    }
    return o;
  }
}

async function viaInProcess(args: string[], env: Env): Promise<Outcome> {
  let stdout = '';
  let stderr = '';
  const out = { write: (s: string) => { if (stdout.length < OUTPUT_CAP) stdout += s; } };
  const err = { write: (s: string) => { if (stderr.length < OUTPUT_CAP) stderr += s; } };
  const t0 = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<'timeout'>((r) => { timer = setTimeout(() => r('timeout'), IN_PROCESS_TIMEOUT_MS); });
  const code = await Promise.race([
    runAirgap(args, { env: { ...env }, stdout: out, stderr: err, interactive: false, progress: false }).catch((e: unknown) => {
      stderr += `\ninternal error (thrown out of run()): ${e instanceof Error ? e.stack : String(e)}\n`;
      return 1;
    }),
    limit,
  ]);
  clearTimeout(timer);
  const ms = performance.now() - t0;
  if (code === 'timeout') return { code: -1, signal: null, stdout, stderr, ms, timedOut: true };
  return { code, signal: null, stdout, stderr, ms, timedOut: false };
}

async function pool<T>(items: T[], n: number, fn: (item: T, i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, async () => {
    for (let i = next++; i < items.length; i = next++) await fn(items[i]!, i);
  }));
}

// ---------------------------------------------------------------------------------------------
// Seeded randomness (the same generator as the bit-rot suite)

type Rng = () => number;
const below = (rng: Rng, n: number) => Math.floor(rng() * n);
const pick = <T>(rng: Rng, xs: readonly T[]): T => xs[below(rng, xs.length)]!;
function seededBytes(rng: Rng, n: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = below(rng, 256);
  return b;
}

// ---------------------------------------------------------------------------------------------
// Building bad files

type Path = (string | number)[];
const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

/** A number JSON.stringify cannot write (1e400, NaN, -0): a placeholder replaced in the text. */
const raw = (token: string) => `\u0001RAW:${token}\u0001`;
const json = (v: unknown, indent = 2) => JSON.stringify(v, null, indent).replace(/"\\u0001RAW:([^"\\]*)\\u0001"/g, '$1');

function setAt(root: unknown, path: Path, value: unknown): unknown {
  if (path.length === 0) return value;
  const copy = clone(root) as Record<string | number, unknown>;
  let o = copy;
  for (const k of path.slice(0, -1)) o = o[k] as Record<string | number, unknown>;
  o[path.at(-1)!] = value;
  return copy;
}
function deleteAt(root: unknown, path: Path): unknown {
  const copy = clone(root) as Record<string | number, unknown>;
  let o = copy;
  for (const k of path.slice(0, -1)) o = o[k] as Record<string | number, unknown>;
  if (Array.isArray(o)) o.splice(path.at(-1) as number, 1);
  else delete o[path.at(-1)!];
  return copy;
}
function paths(v: unknown, at: Path = []): [Path, unknown][] {
  const out: [Path, unknown][] = at.length ? [[at, v]] : [];
  if (Array.isArray(v)) v.forEach((x, i) => out.push(...paths(x, [...at, i])));
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) out.push(...paths(x, [...at, k]));
  return out;
}
/** drives.rotation[0].name */
const fieldName = (path: Path) => path.reduce<string>((s, k) => (typeof k === 'number' ? `${s}[${k}]` : s ? `${s}.${k}` : k), '');
/** The field as a config error names it, in either spelling of an index (rotation[0] or rotation.0). */
function fieldRe(path: Path): RegExp {
  const body = path.map((k, i) => (typeof k === 'number' ? `(?:\\[${k}\\]|\\.${k})` : `${i ? '\\.' : ''}${k.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`)).join('');
  return new RegExp(`: ${body}(?:[.[][^:\\s]*)?: `);
}
/** Any non-empty prefix of the path (a union or a refinement reports the enclosing field). */
const fieldPrefixes = (path: Path): RegExp[] => path.map((_, i) => fieldRe(path.slice(0, i + 1)));

function wrongTypes(v: unknown): unknown[] {
  if (typeof v === 'string') return [5, null, true, [], {}];
  if (typeof v === 'number') return ['1', null, true, [], {}];
  if (Array.isArray(v)) return ['x', 5, null, {}];
  return ['x', 5, null, []];
}

const utf16le = (s: string, bom = true) => Buffer.concat([bom ? Buffer.from([0xff, 0xfe]) : Buffer.alloc(0), Buffer.from(s, 'utf16le')]);
const utf16be = (s: string) => { const b = Buffer.from(s, 'utf16le'); b.swap16(); return Buffer.concat([Buffer.from([0xfe, 0xff]), b]); };
const BOM = Buffer.from([0xef, 0xbb, 0xbf]);
const HUGE_WS = 10 * 1024 * 1024;
const withWhitespace = (text: string) => Buffer.concat([Buffer.alloc(HUGE_WS / 2, 0x20), Buffer.from(text), Buffer.alloc(HUGE_WS / 2, 0x0a)]);
const deepArray = (n: number) => '['.repeat(n) + ']'.repeat(n);
const insertAt = (text: string, at: number, what: string) => text.slice(0, at) + what + text.slice(at);

// ---------------------------------------------------------------------------------------------
// The world: a source folder, a template sandbox with drive A holding one snapshot (written by
// the real CLI), and a sandbox per case copied from it.

let root: string;
let src: string;
let tpl: { dir: string; drive: string; airgapDir: string; snapId: string; state: string };
let caseNo = 0;

interface Box { dir: string; drive: string; airgapDir: string; snapDir: string; state: string; config: string; cwd: string; env: Env }

const SNAPSHOT_CONFIG = () => ({ version: 1, sources: [src] });

async function box(config: string | Buffer = json(SNAPSHOT_CONFIG())): Promise<Box> {
  const dir = join(root, `case-${++caseNo}`);
  const drive = join(dir, 'drives', 'A');
  await cp(tpl.drive, drive, { recursive: true, verbatimSymlinks: true });
  const state = join(dir, 'state');
  await mkdir(state, { recursive: true });
  // The catalog knows drive A where this case keeps it (as on a machine that used the drive before).
  const catalog = await readFile(join(tpl.state, 'catalog.json'), 'utf8');
  await writeFile(join(state, 'catalog.json'), catalog.split(JSON.stringify(tpl.dir).slice(1, -1)).join(JSON.stringify(dir).slice(1, -1)));
  for (const f of await readdir(tpl.state)) if (f.startsWith('baseline')) await cp(join(tpl.state, f), join(state, f), { recursive: true });
  const cfg = join(dir, 'config.json');
  await writeFile(cfg, config);
  const cwd = join(dir, 'cwd');
  await mkdir(cwd);
  const airgapDir = join(drive, 'airgap');
  return {
    dir, drive, airgapDir, snapDir: join(airgapDir, tpl.snapId), state, config: cfg, cwd,
    env: {
      AIRGAP_STATE_DIR: state, AIRGAP_DRIVES_ROOT: join(dir, 'drives'), AIRGAP_CONFIG: cfg,
      XDG_CONFIG_HOME: join(dir, 'xdg'), XDG_STATE_HOME: join(dir, 'xdg-state'), HOME: join(dir, 'home'),
    },
  };
}

/** A regular file's bytes; undefined for anything else (never read a FIFO: it blocks). */
const readIfFile = async (p: string) => ((await stat(p).then((st) => st.isFile(), () => false)) ? readFile(p) : undefined);

/** Every path under dir (relative), but for the given top-level folders. */
async function tree(dir: string, skip: string[] = []): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string) => {
    for (const e of await readdir(d, { withFileTypes: true }).catch(() => [])) {
      const p = join(d, e.name);
      const rel = relative(dir, p);
      if (skip.some((s) => rel === s || rel.startsWith(`${s}/`))) continue;
      out.push(rel);
      if (e.isDirectory()) await walk(p);
    }
  };
  await walk(dir);
  return out.sort();
}

async function unchanged(label: string, dir: string, before: string[], skip: string[] = [], allow: (rel: string) => boolean = () => false): Promise<string[]> {
  const after = await tree(dir, skip);
  const added = after.filter((p) => !before.includes(p) && !allow(p));
  const removed = before.filter((p) => !after.includes(p));
  return added.length || removed.length ? [`${label} changed: ${[...added.map((p) => `+${p}`), ...removed.map((p) => `-${p}`)].slice(0, 6).join(', ')}`] : [];
}

beforeAll(async () => {
  root = await mkdtemp(join(TMP, 'airgap-badfiles-'));
  src = join(root, 'src', 'docs');
  await makeTree(src, {
    'a.txt': 'hello, airgap\n',
    'with space.txt': 'spaced\n',
    'é-unicode.txt': 'unicode\n',
    sub: { dir: { 'b.txt': 'world\n', deeper: { dir: { 'c.bin': Buffer.alloc(3000, 7) } } } },
    link: { symlink: 'a.txt' },
    hard: { hardlink: 'a.txt' },
  });
  const dir = join(root, 'tpl');
  const drive = join(dir, 'drives', 'A');
  await mkdir(drive, { recursive: true });
  const env: Env = {
    AIRGAP_STATE_DIR: join(dir, 'state'), AIRGAP_DRIVES_ROOT: join(dir, 'drives'),
    XDG_CONFIG_HOME: join(dir, 'xdg'), XDG_STATE_HOME: join(dir, 'xdg-state'), HOME: join(dir, 'home'),
  };
  const label = await viaCli(['label', drive, '--name', 'A', '--yes'], env, dir);
  if (label.code !== 0) throw new Error(`label failed: ${label.stderr}`);
  // Format 1: the snapshot-file family forges the plain MANIFEST.tsv and FILES.sha256 as text
  // (format 2 gzips them) and reads the 4-line SHA256SUMS of format 1.
  const backup = await viaCli(['backup', '--format', '1', '--drive', 'A', '--source', src, '--json'], env, dir);
  if (backup.code !== 0) throw new Error(`backup failed: ${backup.stderr}`);
  const snapId = (JSON.parse(backup.stdout) as { snapshot: string }).snapshot;
  tpl = { dir, drive, airgapDir: join(drive, 'airgap'), snapId, state: join(dir, 'state') };
}, 600_000); // a cap for a loaded machine, not an expectation

afterAll(async () => {
  const families: Family[] = ['config', 'identity', 'snapshot', 'catalog', 'cli-input'];
  const per = (f: Family) => results.filter((r) => r.family === f);
  const histogram = (rs: Result[]) => {
    const h: Record<string, number> = {};
    for (const r of rs) {
      const k = r.signal ? r.signal : r.code === -1 ? 'hang' : String(r.code);
      h[k] = (h[k] ?? 0) + 1;
    }
    return h;
  };
  const cases = (rs: Result[]) => new Set(rs.map((r) => r.case)).size;
  if (results.length) {
    recordFigures('bad-files', {
      seed: SEED,
      seconds: Math.round((Date.now() - started) / 1000),
      cliSpawns: spawns,
      cases: Object.fromEntries(families.map((f) => [f, {
        table: cases(per(f).filter((r) => !r.case.startsWith('random'))),
        random: cases(per(f).filter((r) => r.case.startsWith('random'))),
        runs: { cli: per(f).filter((r) => r.via === 'cli').length, inProcess: per(f).filter((r) => r.via === 'in-process').length },
      }])),
      exitCodes: Object.fromEntries(families.map((f) => [f, {
        cli: histogram(per(f).filter((r) => r.via === 'cli')),
        inProcess: histogram(per(f).filter((r) => r.via === 'in-process' && !r.case.startsWith('random'))),
        random: histogram(per(f).filter((r) => r.case.startsWith('random'))),
      }])),
      msPerRun: Object.fromEntries(families.map((f) => {
        const avg = (rs: Result[]) => (rs.length ? Math.round(rs.reduce((n, r) => n + r.ms, 0) / rs.length) : 0);
        return [f, { cli: avg(per(f).filter((r) => r.via === 'cli')), inProcess: avg(per(f).filter((r) => r.via === 'in-process')) }];
      })),
      slowest: [...results].sort((x, y) => y.ms - x.ms).slice(0, 8).map((r) => `${r.ms} ms [${r.via}] ${r.family} "${r.case}": airgap ${r.command}`),
      crashes: results.filter((r) => r.crash).length,
      crashList: results.filter((r) => r.crash).slice(0, 50).map((r) => `[${r.via}] ${r.family} "${r.case}": airgap ${r.command} → ${r.problems.join('; ')}`),
      failingRuns: results.filter((r) => r.problems.length).length,
      unnamed: results.filter((r) => r.unnamed).length,
      unnamedByCommand: results.filter((r) => r.unnamed).reduce<Record<string, number>>((h, r) => {
        const k = `[${r.via}] ${r.family}: airgap ${commandKind(r.command)}`;
        h[k] = (h[k] ?? 0) + 1;
        return h;
      }, {}),
      unnamedList: results.filter((r) => r.unnamed).slice(0, 60).map((r) => `[${r.via}] ${r.family} "${r.case}": airgap ${r.command} (exit ${r.code})`),
    });
  }
  if (root) await rm(root, { recursive: true, force: true });
}, 600_000); // a cap for a loaded machine, not an expectation

// ---------------------------------------------------------------------------------------------
// Config: AIRGAP_CONFIG=<file>, then plan, status, backup --drive A, schedule.

const CONFIG_COMMANDS: string[][] = [['plan'], ['status'], ['backup', '--drive', 'A'], ['schedule']];

function baseConfig(): Record<string, unknown> {
  const retention = { keepLast: 3, daily: 7, weekly: 5, monthly: 12, yearly: 10 };
  return {
    version: 1,
    sources: [src],
    excludes: ['*.tmp', 'node_modules', 'cache/**'],
    drives: {
      rotation: [{ name: 'A', role: 'home', location: 'desk drawer' }, { name: 'B', role: 'offsite', location: 'office', retention }],
      mountRoots: [join(root, 'no-mounts')],
    },
    cadence: { weekdays: ['sat'] },
    policy: { scheme: 'round-robin', offline: 1, start: '2026-11-21', retention, alerts: { rotationDays: 30, verifyDays: 90 } },
    gate: { changedShare: 0.3, encryptedShare: 0.5, deletedShare: 0.5, newExtensionFiles: 20, minFiles: 20 },
  };
}

interface ConfigCase {
  name: string;
  /** The file's bytes, or a way to put something else than a file at the config path. */
  content: () => string | Buffer;
  prepare?: (path: string) => Promise<void>;
  ok?: boolean; // still a valid config: every command succeeds
  field?: Pattern[];
  /** Through the built CLI: one command, all four, or none (by default: every third named case). */
  cli?: 'one' | 'all' | 'none';
  /** Made by a loop (field by field, byte by byte): one command in-process. */
  generated?: boolean;
  skip?: string;
}

function configCases(): ConfigCase[] {
  const base = baseConfig();
  const text = json(base);
  const rotation = (names: string[]) => setAt(base, ['drives', 'rotation'], names.map((name) => ({ name })));
  const c: ConfigCase[] = [
    { name: 'empty file', content: () => '', cli: 'all' },
    { name: 'whitespace only', content: () => ' \n\t\n' },
    { name: 'null', content: () => 'null', field: [/: \(root\): /] },
    { name: 'an array', content: () => '[]', field: [/: \(root\): /] },
    { name: 'a string', content: () => '"sources"', field: [/: \(root\): /] },
    { name: 'an empty object', content: () => '{}', field: [fieldRe(['version'])] },
    { name: 'UTF-8 byte order mark (accepted)', content: () => Buffer.concat([BOM, Buffer.from(text)]), ok: true, cli: 'all' },
    { name: 'UTF-8 byte order mark before invalid JSON', content: () => Buffer.concat([BOM, Buffer.from('{"version": 1,')]) },
    { name: 'UTF-16 LE with BOM', content: () => utf16le(text), cli: 'one' },
    { name: 'UTF-16 BE with BOM', content: () => utf16be(text) },
    { name: 'UTF-16 LE without BOM (NUL bytes)', content: () => utf16le(text, false) },
    { name: 'binary garbage', content: () => seededBytes(mulberry32(SEED ^ 1), 4096), cli: 'one' },
    { name: 'NUL byte between tokens', content: () => insertAt(text, text.indexOf('"sources"'), '\u0000') },
    { name: 'raw NUL inside a string', content: () => text.replace('"A"', '"A\u0000"') },
    { name: 'raw newline inside a string', content: () => text.replace('desk drawer', 'desk\ndrawer') },
    { name: 'bytes that are not UTF-8 inside a path', content: () => Buffer.concat([Buffer.from(text.slice(0, text.indexOf(src) + src.length)), Buffer.from([0xff, 0xfe]), Buffer.from(text.slice(text.indexOf(src) + src.length))]) },
    { name: 'huge: 10 MB of whitespace around a valid config', content: () => withWhitespace(text), cli: 'one' },
    // "." is the current folder: a million times the same source (same name) was quadratic.
    { name: 'huge: 1e6 sources', content: () => json({ ...base, sources: Array(1e6).fill('.') }, 0), cli: 'one' },
    { name: 'huge: 1e6 rotation drives', content: () => json(setAt(base, ['drives', 'rotation'], Array.from({ length: 1e6 }, (_, i) => ({ name: `D${i.toString(36)}` }))), 0) },
    { name: 'huge: 1e6 mount roots', content: () => json(setAt(base, ['drives', 'mountRoots'], Array.from({ length: 1e6 }, (_, i) => `/n/${i.toString(36)}`)), 0), cli: 'none' },
    { name: 'many: 101 rotation drives', content: () => json(rotation(Array.from({ length: 101 }, (_, i) => `D${i}`))), field: [fieldRe(['drives', 'rotation'])] },
    { name: 'many: 1001 sources', content: () => json({ ...base, sources: Array(1001).fill(src) }), field: [fieldRe(['sources'])] },
    { name: 'many: 101 mount roots', content: () => json(setAt(base, ['drives', 'mountRoots'], Array.from({ length: 101 }, (_, i) => `/nowhere/${i}`))), field: [fieldRe(['drives', 'mountRoots'])], cli: 'none' },
    { name: 'deep nesting: 100k unclosed [', content: () => '['.repeat(100_000) },
    { name: 'deep nesting: 100k arrays under an unknown key', content: () => `${text.slice(0, -2)},\n  "deep": ${deepArray(100_000)}\n}`, field: [/deep/] },
    { name: 'deep nesting: 100k arrays as a source', content: () => text.replace(JSON.stringify(src), deepArray(100_000)), field: fieldPrefixes(['sources', 0]) },
    { name: 'duplicate drive names', content: () => json(rotation(['A', 'B', 'A'])), field: [fieldRe(['drives', 'rotation'])], cli: 'one' },
    { name: 'duplicate drive names, differing in case', content: () => json(rotation(['A', 'a'])), field: [fieldRe(['drives', 'rotation'])] },
    { name: 'drive name with a bidi override', content: () => json(rotation(['\u202eA', 'B'])), field: [fieldRe(['drives', 'rotation', 0, 'name'])], cli: 'one' },
    { name: 'drive name with a zero-width space', content: () => json(rotation(['A\u200b', 'B'])), field: [fieldRe(['drives', 'rotation', 0, 'name'])] },
    { name: 'drive name with a lone surrogate', content: () => json(rotation(['A', 'B\ud800'])), field: [fieldRe(['drives', 'rotation', 1, 'name'])] },
    { name: 'drive name with a Cyrillic look-alike', content: () => json(rotation(['\u0410', 'B'])), field: [fieldRe(['drives', 'rotation', 0, 'name'])] },
    { name: 'drive name with a NUL', content: () => json(rotation(['A\u0000', 'B'])), field: [fieldRe(['drives', 'rotation', 0, 'name'])] },
    { name: '__proto__ key', content: () => text.replace('{\n', '{\n  "__proto__": { "sources": [] },\n'), field: [/__proto__/] },
    { name: 'constructor key', content: () => text.replace('{\n', '{\n  "constructor": { "prototype": 1 },\n'), field: [/constructor/] },
    { name: '__proto__ key in a rotation drive', content: () => text.replace('"name": "A"', '"name": "A", "__proto__": { "role": "x" }'), field: [/__proto__/] },
    { name: 'unknown key with a bidi override', content: () => text.replace('{\n', '{\n  "colour\u202e": 1,\n'), field: [/colour/] },
    { name: 'unknown key with a zero-width space', content: () => text.replace('"sources"', '"sources\u200b"'), field: [/sources/] },
    { name: 'a typo: exclude', content: () => text.replace('"excludes"', '"exclude"'), field: [/exclude/] },
    { name: 'a typo in policy: schema', content: () => text.replace('"scheme"', '"schema"'), field: [/schema/] },
    { name: 'duplicate JSON key, the last one wrong', content: () => text.replace('"version": 1,', '"version": 1, "version": "1",'), field: [fieldRe(['version'])] },
    { name: 'comments', content: () => `// my config\n${text}` },
    { name: 'trailing comma', content: () => text.replace(/\n}$/, ',\n}') },
    { name: 'single quotes', content: () => text.replace(/"/g, "'") },
    { name: 'trailing garbage', content: () => `${text}\nx` },
    { name: 'CRLF line endings (accepted)', content: () => text.replace(/\n/g, '\r\n'), ok: true },
    { name: 'a folder', content: () => '', prepare: async (p) => { await rm(p); await mkdir(p); }, cli: 'all' },
    { name: 'a symlink loop', content: () => '', prepare: async (p) => { await rm(p); await symlink(p, p); } },
    { name: 'a FIFO', content: () => '', prepare: async (p) => { await rm(p); execFileSync('mkfifo', [p]); }, cli: 'none' },
    { name: 'unreadable', content: () => text, prepare: (p) => chmod(p, 0), skip: IS_ROOT ? 'running as root: every file is readable' : undefined },
  ];
  // Right type, wrong value, field by field.
  const bad: [Path, unknown][] = [
    [['version'], 2], [['version'], 0], [['version'], raw('1e400')],
    [['sources'], []], [['sources', 0], ''], [['sources', 0], `/${'x'.repeat(5000)}`], [['sources', 0], `${src}\u0000/evil`],
    [['excludes', 0], `*${'a'.repeat(70_000)}`],
    [['drives', 'rotation', 0, 'name'], ''], [['drives', 'rotation', 0, 'name'], 'bad name!'], [['drives', 'rotation', 0, 'name'], 'a'.repeat(41)],
    [['drives', 'rotation', 0, 'name'], '-A'], [['drives', 'rotation', 0, 'name'], '../A'],
    [['drives', 'rotation', 0, 'role'], 'away'], [['drives', 'rotation', 0, 'location'], 'x'.repeat(201)],
    [['drives', 'rotation', 1, 'retention', 'keepLast'], -1], [['drives', 'rotation', 1, 'retention', 'keepLast'], 1001],
    [['drives', 'rotation', 1, 'retention', 'daily'], 1.5], [['drives', 'rotation', 1, 'retention', 'weekly'], raw('1e400')],
    [['drives', 'mountRoots', 0], ''], [['drives', 'mountRoots', 0], '/mnt/\u0000x'],
    [['cadence'], 'hourly'], [['cadence'], { weekdays: [] }], [['cadence'], { weekdays: ['funday'] }],
    [['policy', 'scheme'], 'random'], [['policy', 'offline'], 2], [['policy', 'offline'], -1], [['policy', 'offline'], 1.5],
    [['policy', 'offline'], raw('1e400')], [['policy', 'offline'], raw('-1e400')],
    [['policy', 'start'], '2026-02-30'], [['policy', 'start'], '2026-11-21T00:00:00Z'], [['policy', 'start'], ''],
    [['policy', 'alerts', 'rotationDays'], 0], [['gate', 'changedShare'], 1.5], [['gate', 'minFiles'], -1], [['gate', 'newExtensionFiles'], 0],
  ];
  bad.forEach(([path, v], i) => c.push({
    name: `${fieldName(path)} = ${typeof v === 'string' ? JSON.stringify(v.length > 30 ? `${v.slice(0, 12)}…(${v.length})` : v).replace(/[\u0000\u202e]/g, (x) => codepoint(x)).replace(/\u0001RAW:|\u0001/g, '') : JSON.stringify(v)}`,
    content: () => json(setAt(base, path, v)), field: fieldPrefixes(path), cli: i % 9 === 0 ? 'one' : 'none', generated: true,
  }));
  for (const [i, [path, v]] of paths(base).entries()) {
    for (const [j, w] of wrongTypes(v).entries()) {
      c.push({ name: `${fieldName(path)}: wrong type ${JSON.stringify(w)}`, content: () => json(setAt(base, path, w)), field: fieldPrefixes(path), cli: (i * 5 + j) % 67 === 0 ? 'one' : 'none', generated: true });
    }
    if (typeof path.at(-1) === 'string') {
      const key = [...path.slice(0, -1), `${String(path.at(-1))}x`];
      c.push({ name: `${fieldName(path)}: an unknown key next to it`, content: () => json(setAt(base, key, 1)), field: [/x"/, ...fieldPrefixes(path.slice(0, -1))], cli: 'none', generated: true });
    }
  }
  // Truncated at every 7th byte.
  for (let at = 0; at < text.length; at += 7) {
    const cut = text.slice(0, at);
    const valid = (() => { try { JSON.parse(cut); return true; } catch { return false; } })();
    c.push({ name: `truncated at byte ${at}`, content: () => cut, ok: valid, cli: at % 280 === 203 ? 'one' : 'none', generated: true });
  }
  return c;
}

describe('bad configs', () => {
  it('the table: every case exits 0 (still valid) or 2 naming the file and the field', async () => {
    const all = configCases();
    const cases = all.filter((c) => !c.skip);
    for (const c of all.filter((x) => x.skip)) console.log(`[bad-files] skipping config case "${c.name}": ${c.skip}`);
    const mine: Result[] = [];
    const want = (c: ConfigCase, b: Box): Want => (c.ok ? { codes: [0] } : { codes: [2], names: [b.config], field: c.field });
    const runCase = async (c: ConfigCase, commands: string[][], via: Via) => {
      const b = await box(c.content());
      await c.prepare?.(b.config);
      for (const cmd of commands) mine.push(await record('config', c.name, cmd, via, via === 'cli' ? await viaCli(cmd, b.env, b.cwd) : await viaInProcess(cmd, b.env), want(c, b)));
      await rm(b.dir, { recursive: true, force: true });
    };
    // In-process: every command for the named cases, one (rotating) for the generated ones. The
    // built CLI alongside: one command per chosen case (rotating), all four for a few.
    const named = cases.filter((c) => !c.generated);
    const cli: [ConfigCase, string[][]][] = cases.filter((c) => c.cli === 'all' || c.cli === 'one' || (c.cli === undefined && named.indexOf(c) % 3 === 0))
      .map((c, i) => [c, c.cli === 'all' ? CONFIG_COMMANDS : [CONFIG_COMMANDS[i % CONFIG_COMMANDS.length]!]]);
    await Promise.all([
      (async () => {
        for (const [i, c] of cases.entries()) await runCase(c, c.generated ? [CONFIG_COMMANDS[i % CONFIG_COMMANDS.length]!] : CONFIG_COMMANDS, 'in-process');
      })(),
      pool(cli, CLI_CONCURRENCY, ([c, commands]) => runCase(c, commands, 'cli')),
    ]);
    assertAllPassed(mine);
  }, IT_TIMEOUT_MS);

  it(`${RANDOM} seeded random mutations (in-process)`, async () => {
    const rng = mulberry32(SEED ^ 0xc0f1);
    const base = baseConfig();
    const text = json(base);
    const b = await box(text);
    const mine: Result[] = [];
    const nasty: unknown[] = [null, true, false, 0, -1, 1.5, 1e308, '', ' ', 'A', 'B', 'mon', '2026-02-30', '\u202e', '\ud800', 'A\u0000', '\u200b', 'x'.repeat(5000), [], {}, [[[[]]]], ['A'], { weekdays: [] }, { __proto__: null }];
    const keys = ['__proto__', 'constructor', 'prototype', 'colour', '', ' ', '\u202e', 'toString'];
    for (let i = 0; i < RANDOM; i++) {
      let what: string;
      let out: string | Buffer;
      const kind = below(rng, 10);
      const [path] = pick(rng, paths(base));
      if (kind < 4) {
        // Byte level: cut, flip, insert, delete, duplicate, or a unicode trick.
        const bytes = Buffer.from(text);
        const at = below(rng, bytes.length);
        const op = below(rng, 6);
        if (op === 0) { out = bytes.subarray(0, at); what = `cut at ${at}`; }
        else if (op === 1) { const m = 1 + below(rng, 255); out = Buffer.from(bytes); out[at] = (out[at]! ^ m) & 0xff; what = `byte ${at} ^= ${m}`; }
        else if (op === 2) { const ins = seededBytes(rng, 1 + below(rng, 8)); out = Buffer.concat([bytes.subarray(0, at), ins, bytes.subarray(at)]); what = `insert ${ins.toString('hex')} at ${at}`; }
        else if (op === 3) { const n = 1 + below(rng, 40); out = Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + n)]); what = `delete ${n} at ${at}`; }
        else if (op === 4) { const n = 1 + below(rng, 40); out = Buffer.concat([bytes.subarray(0, at + n), bytes.subarray(at)]); what = `duplicate ${n} at ${at}`; }
        else { const ch = pick(rng, ['\u202e', '\u200b', '\ufeff', '\ud800', '\u0000', '\u0410', '\r\n', '\\']); out = insertAt(text, at, ch); what = `insert ${codepoint(ch)} at ${at}`; }
      } else if (kind < 7) {
        const v = pick(rng, nasty);
        out = json(setAt(base, path, v));
        what = `${fieldName(path)} = ${JSON.stringify(v)?.slice(0, 30)}`;
      } else if (kind < 8) {
        out = json(deleteAt(base, path));
        what = `delete ${fieldName(path)}`;
      } else if (kind < 9) {
        const k = pick(rng, keys);
        const parent = path.slice(0, -1);
        out = text.replace(new RegExp(`^(\\s*)"${String(path.at(-1))}"`, 'm'), `$1${JSON.stringify(k)}: 1, "${String(path.at(-1))}"`);
        if (typeof path.at(-1) === 'number' || out === text) out = `{ ${JSON.stringify(k)}: 1, ${text.slice(1)}`;
        what = `add key ${JSON.stringify(k)} near ${fieldName(parent) || '(root)'}`;
      } else {
        out = json(setAt(base, ['drives', 'rotation'], [...(base.drives as { rotation: unknown[] }).rotation, { name: pick(rng, ['A', 'a', 'B', 'C']) }]));
        what = 'one more rotation drive';
      }
      await writeFile(b.config, out);
      // A mutated config can name other folders: only back up (dry run) what is still the test source.
      const parsed = (() => { try { return JSON.parse(out.toString()) as { sources?: unknown }; } catch { return undefined; } })();
      const sameSources = JSON.stringify(parsed?.sources) === JSON.stringify([src]);
      const cmd = pick(rng, [['plan'], ['status'], ['schedule'], sameSources ? ['backup', '--drive', 'A', '--dry-run'] : ['plan']]);
      const want: Want = { codes: cmd[0] === 'backup' ? [0, 2, 4] : [0, 2], names: [b.config] };
      mine.push(await record('config', `random config #${i} (${what})`, cmd, 'in-process', await viaInProcess(cmd, b.env), want));
    }
    assertAllPassed(mine);
  }, IT_TIMEOUT_MS);
});

// ---------------------------------------------------------------------------------------------
// Identity: airgap/drive.json on a simulated drive that holds a snapshot. A damaged identity makes
// the drive untrusted: every command says so, naming drive.json (and the field), nothing writes.

type IdentityCommand = (b: Box) => string[];
const IDENTITY_COMMANDS: IdentityCommand[] = [
  () => ['drives'],
  () => ['list'],
  () => ['verify', 'A'],
  (b) => ['verify', b.drive],
  () => ['backup', '--drive', 'A'],
  (b) => ['label', b.drive, '--name', 'A', '--yes'],
];

interface IdentityCase {
  name: string;
  content: (base: Record<string, unknown>, text: string) => string | Buffer;
  prepare?: (file: string) => Promise<void>;
  /** Still a valid identity (unknown keys are ignored by design). */
  ok?: boolean;
  field?: Pattern[];
  cli?: boolean;
  generated?: boolean;
  skip?: string;
}

function identityCases(baseText: string): IdentityCase[] {
  const base = JSON.parse(baseText) as Record<string, unknown>;
  const f = (k: string) => [new RegExp(`\\b${k}\\b`)];
  const c: IdentityCase[] = [
    { name: 'empty file', content: () => '' },
    { name: 'truncated in the middle', content: (_, t) => t.slice(0, Math.floor(t.length / 2)), cli: true },
    { name: 'null', content: () => 'null' },
    { name: 'an array', content: () => '[]' },
    { name: 'binary garbage', content: () => seededBytes(mulberry32(SEED ^ 2), 600), cli: true },
    { name: 'NUL bytes', content: (_, t) => insertAt(t, 10, '\u0000\u0000') },
    { name: 'UTF-8 byte order mark', content: (_, t) => Buffer.concat([BOM, Buffer.from(t)]) },
    { name: 'UTF-16 LE', content: (_, t) => utf16le(t) },
    { name: 'huge: 10 MB of whitespace around a valid identity', content: (_, t) => withWhitespace(t), cli: true },
    { name: 'huge: a 1 MB unknown field', content: (o) => json({ ...o, notes: 'x'.repeat(1 << 20) }) },
    { name: 'deep nesting: a name of 10k nested arrays', content: (_, t) => t.replace('"name": "A"', `"name": ${deepArray(10_000)}`), field: f('name') },
    { name: 'name with a bidi override', content: (o) => json({ ...o, name: '\u202eA' }), field: f('name'), cli: true },
    { name: 'name with a zero-width space', content: (o) => json({ ...o, name: 'A\u200b' }), field: f('name') },
    { name: 'name with a lone surrogate', content: (o) => json({ ...o, name: 'A\udc00' }), field: f('name') },
    { name: 'name with a Cyrillic look-alike', content: (o) => json({ ...o, name: '\u0410' }), field: f('name') },
    { name: 'name with a NUL', content: (o) => json({ ...o, name: 'A\u0000' }), field: f('name') },
    { name: 'name with a slash', content: (o) => json({ ...o, name: '../A' }), field: f('name') },
    { name: 'name of 41 characters', content: (o) => json({ ...o, name: 'A'.repeat(41) }), field: f('name') },
    { name: 'name of the wrong type', content: (o) => json({ ...o, name: 5 }), field: f('name') },
    { name: 'duplicate JSON key, the last one wrong', content: (_, t) => t.replace('"name": "A"', '"name": "A", "name": "bad name!"'), field: f('name') },
    { name: 'format misspelt', content: (o) => json({ ...o, format: 'airgap-drvie' }), field: f('format') },
    { name: 'formatVersion 2 (a newer airgap)', content: (o) => json({ ...o, formatVersion: 2 }), field: [/formatVersion|format 2\b/], cli: true },
    { name: 'formatVersion 1e400', content: (o) => json({ ...o, formatVersion: raw('1e400') }), field: f('formatVersion') },
    { name: 'formatVersion -1', content: (o) => json({ ...o, formatVersion: -1 }), field: f('formatVersion') },
    { name: 'formatVersion 1.5', content: (o) => json({ ...o, formatVersion: 1.5 }), field: f('formatVersion') },
    { name: 'formatVersion "1"', content: (o) => json({ ...o, formatVersion: '1' }), field: f('formatVersion') },
    { name: 'formatVersion NaN', content: (_, t) => t.replace('"formatVersion": 1', '"formatVersion": NaN') },
    { name: 'id not a UUID', content: (o) => json({ ...o, id: 'not-a-uuid' }), field: f('id') },
    { name: 'createdAt not a date', content: (o) => json({ ...o, createdAt: 'yesterday' }), field: f('createdAt') },
    { name: 'createdAt 2026-02-30', content: (o) => json({ ...o, createdAt: '2026-02-30T00:00:00.000Z' }), field: f('createdAt') },
    { name: 'unknown key (ignored)', content: (o) => json({ ...o, colour: 'blue' }), ok: true },
    { name: '__proto__ key (ignored)', content: (_, t) => t.replace('{\n', '{\n  "__proto__": { "name": "B" },\n'), ok: true },
    { name: 'CRLF line endings (still valid)', content: (_, t) => t.replace(/\n/g, '\r\n'), ok: true },
    { name: 'a folder', content: () => '', prepare: async (p) => { await rm(p); await mkdir(p); }, cli: true },
    // Read whole, a FIFO would block forever.
    { name: 'a FIFO', content: () => '', prepare: async (p) => { await rm(p); execFileSync('mkfifo', [p]); } },
    { name: 'unreadable', content: (_, t) => t, prepare: (p) => chmod(p, 0), skip: IS_ROOT ? 'running as root: every file is readable' : undefined },
  ];
  for (const k of Object.keys(base)) {
    c.push({ name: `${k} missing`, content: (o) => json(Object.fromEntries(Object.entries(o).filter(([x]) => x !== k))), field: f(k) });
    c.push({ name: `${k} is null`, content: (o) => json({ ...o, [k]: null }), field: f(k) });
  }
  for (let at = 0; at < baseText.length; at += 7) {
    if (at === 0) continue;
    c.push({ name: `truncated at byte ${at}`, content: (_, t) => t.slice(0, at), generated: true });
  }
  return c;
}

function identityWant(c: IdentityCase, b: Box, cmd: string[], before: { airgap: string[]; identity: Buffer | undefined }): Want {
  const identity = join(b.airgapDir, 'drive.json');
  if (c.ok) {
    if (cmd[0] === 'label') return { codes: [4] };
    return { codes: [0] };
  }
  const names = ['drive.json'];
  const field = c.field;
  switch (cmd[0]) {
    case 'drives':
    case 'list':
      return { codes: [0], names, field, warn: true };
    case 'verify':
      return { codes: [3, 4], names, field };
    case 'backup':
      return { codes: [3, 4], names, field, after: () => unchanged('the drive', b.airgapDir, before.airgap) };
    default: // label, without --force: refuse, and leave the identity file as it is
      return {
        codes: [4], names, field,
        after: async () => {
          const now = await readIfFile(identity);
          return (now === undefined) === (before.identity === undefined) && (!now || now.equals(before.identity!)) ? [] : ['label changed drive.json'];
        },
      };
  }
}

describe('bad identity files (airgap/drive.json)', () => {
  it('the table: the drive is not trusted, every command names drive.json and the field, nothing is written', async () => {
    const baseText = await readFile(join(tpl.airgapDir, 'drive.json'), 'utf8');
    const base = JSON.parse(baseText) as Record<string, unknown>;
    const all = identityCases(baseText);
    const cases = all.filter((c) => !c.skip);
    for (const c of all.filter((x) => x.skip)) console.log(`[bad-files] skipping identity case "${c.name}": ${c.skip}`);
    const mine: Result[] = [];
    const runCase = async (c: IdentityCase, commands: IdentityCommand[], via: Via) => {
      const b = await box();
      const file = join(b.airgapDir, 'drive.json');
      await writeFile(file, c.content(base, baseText));
      await c.prepare?.(file);
      for (const make of commands) {
        const cmd = make(b);
        const before = { airgap: await tree(b.airgapDir), identity: await readIfFile(file) };
        const o = via === 'cli' ? await viaCli(cmd, b.env, b.cwd) : await viaInProcess(cmd, b.env);
        mine.push(await record('identity', c.name, cmd, via, o, identityWant(c, b, cmd, before)));
      }
      await rm(b.dir, { recursive: true, force: true });
    };
    // In-process: every command (two, rotating, for the byte-by-byte truncations); the built CLI
    // alongside: every command for the chosen cases.
    await Promise.all([
      (async () => {
        for (const [i, c] of cases.entries()) {
          const commands = c.generated ? [IDENTITY_COMMANDS[i % 6]!, IDENTITY_COMMANDS[(i + 3) % 6]!] : IDENTITY_COMMANDS;
          await runCase(c, commands, 'in-process');
        }
      })(),
      pool(cases.filter((c) => c.cli), CLI_CONCURRENCY, (c) => runCase(c, IDENTITY_COMMANDS, 'cli')),
    ]);
    assertAllPassed(mine);
  }, IT_TIMEOUT_MS);

  it(`${RANDOM} seeded random mutations (in-process)`, async () => {
    const rng = mulberry32(SEED ^ 0x1de);
    const baseText = await readFile(join(tpl.airgapDir, 'drive.json'), 'utf8');
    const base = JSON.parse(baseText) as Record<string, unknown>;
    const b = await box();
    const file = join(b.airgapDir, 'drive.json');
    const catalog = await readFile(join(b.state, 'catalog.json'));
    const mine: Result[] = [];
    const nasty: unknown[] = [null, true, 0, -1, 1.5, 2, '', 'A', 'B', 'a', '\u202eA', 'A\ud800', 'A\u0000', '\u200b', 'x'.repeat(300), [], {}, raw('1e400'), '2026-11-21T09:30:00.000Z', '00000000-0000-0000-0000-000000000000'];
    for (let i = 0; i < RANDOM; i++) {
      const keys = Object.keys(base);
      const kind = below(rng, 4);
      let out: string | Buffer;
      let what: string;
      if (kind === 0) {
        const bytes = Buffer.from(baseText);
        const at = below(rng, bytes.length);
        const op = below(rng, 4);
        if (op === 0) { out = bytes.subarray(0, at); what = `cut at ${at}`; }
        else if (op === 1) { const m = 1 + below(rng, 255); out = Buffer.from(bytes); out[at] = (out[at]! ^ m) & 0xff; what = `byte ${at} ^= ${m}`; }
        else if (op === 2) { const ins = seededBytes(rng, 1 + below(rng, 6)); out = Buffer.concat([bytes.subarray(0, at), ins, bytes.subarray(at)]); what = `insert ${ins.toString('hex')} at ${at}`; }
        else { const ch = pick(rng, ['\u202e', '\u200b', '\ufeff', '\u0000', '\r']); out = insertAt(baseText, at, ch); what = `insert ${codepoint(ch)} at ${at}`; }
      } else if (kind === 1) {
        const k = pick(rng, keys);
        const v = pick(rng, nasty);
        out = json({ ...base, [k]: v });
        what = `${k} = ${JSON.stringify(v)?.slice(0, 30)}`;
      } else if (kind === 2) {
        const k = pick(rng, keys);
        out = json(Object.fromEntries(Object.entries(base).filter(([x]) => x !== k)));
        what = `delete ${k}`;
      } else {
        const k = pick(rng, ['__proto__', 'constructor', 'colour', '\u202e']);
        out = baseText.replace('{\n', `{\n  ${JSON.stringify(k)}: ${JSON.stringify(pick(rng, nasty))},\n`);
        what = `add key ${JSON.stringify(k)}`;
      }
      const parsed = (() => { try { return JSON.parse(Buffer.from(out).toString('utf8')) as unknown; } catch { return undefined; } })();
      const v = (parsed as { formatVersion?: unknown } | undefined)?.formatVersion;
      const ok = parsed !== undefined && check(identitySchema, parsed).ok && v === 1;
      await writeFile(file, out);
      await writeFile(join(b.state, 'catalog.json'), catalog);
      const make = pick(rng, IDENTITY_COMMANDS);
      const cmd = make(b);
      if (cmd[0] === 'backup') cmd.push('--dry-run');
      const before = { airgap: await tree(b.airgapDir), identity: await readIfFile(file) };
      const c: IdentityCase = { name: `random identity #${i} (${what})`, content: () => out, ok };
      const want = identityWant(c, b, cmd, before);
      // A still-valid identity under another name or id is another drive: only a crash is wrong then.
      if (ok) Object.assign(want, { codes: cmd[0] === 'label' ? [2, 4] : [0, 2, 3, 4] });
      mine.push(await record('identity', c.name, cmd, 'in-process', await viaInProcess(cmd, b.env), want));
    }
    assertAllPassed(mine);
  }, IT_TIMEOUT_MS);
});

// ---------------------------------------------------------------------------------------------
// Snapshot files: snapshot.json, MANIFEST.tsv, FILES.sha256 and SHA256SUMS in a real snapshot.
// Edited alone, SHA256SUMS gives them away; edited with SHA256SUMS recomputed to match (a bug
// or an attacker), only the validation of their content can: verify must still name the file
// and the field, and restore must refuse or cope without writing outside its target.

type SnapFile = 'snapshot.json' | 'MANIFEST.tsv' | 'FILES.sha256' | 'SHA256SUMS';
type SnapCommand = 'verify' | 'verify --deep' | 'list' | 'restore' | 'find' | 'diff';
const SNAP_COMMANDS: SnapCommand[] = ['verify', 'verify --deep', 'list', 'restore', 'find', 'diff'];

function snapArgs(cmd: SnapCommand, b: Box, target: string): string[] {
  switch (cmd) {
    case 'verify': return ['verify', 'A'];
    case 'verify --deep': return ['verify', 'A', '--deep'];
    case 'list': return ['list', 'A'];
    case 'restore': return ['restore', 'A', '--snapshot', tpl.snapId, '--to', target];
    case 'find': return ['find', 'A', 'a.txt'];
    case 'diff': return ['diff', 'A', tpl.snapId, tpl.snapId];
  }
}

/** Rewrites SHA256SUMS so that it matches the file as it is now (what `sha256sum` would write). */
async function resum(dir: string, file: SnapFile): Promise<void> {
  const sums = join(dir, 'SHA256SUMS');
  const hash = sha256(await readFile(join(dir, file)));
  const lines = (await readFile(sums, 'utf8')).split('\n').map((l) => (l.endsWith(`  ${file}`) ? `${hash}  ${file}` : l));
  await writeFile(sums, lines.join('\n'));
}

/** MANIFEST.tsv as airgap's reader sees it (readline splits on \n, \r\n and \r): entries, or why not. */
function readManifest(text: string): { entries?: ManifestEntry[]; error?: string } {
  const lines = text.split(/\r\n|\r|\n/);
  if (lines.at(-1) === '') lines.pop();
  if (lines[0] !== MANIFEST_HEADER) return { error: 'header' };
  const entries: ManifestEntry[] = [];
  for (const [i, l] of lines.entries()) {
    if (i === 0 || l.startsWith('#') || l === '') continue;
    try {
      entries.push(parseManifestLine(l));
    } catch (e) {
      return { error: `line ${i + 1}: ${(e as Error).message}` };
    }
  }
  return { entries };
}

/** What `sha256sum -c SHA256SUMS` would accept (GNU line format, no CR, each file once, nothing else). */
function sumsAccepted(text: string, files: Map<string, string>): boolean {
  if (!text.endsWith('\n')) return false;
  const seen = new Set<string>();
  for (const line of text.slice(0, -1).split('\n')) {
    const m = /^([0-9a-fA-F]{64}) [ *]([^\\\r]+)$/.exec(line);
    if (!m || seen.has(m[2]!) || files.get(m[2]!) !== m[1]!.toLowerCase()) return false;
    seen.add(m[2]!);
  }
  return seen.size === files.size;
}

interface SnapCase {
  name: string;
  file: SnapFile;
  resum: boolean;
  mutate: (text: string, bytes: Buffer) => string | Buffer;
  /** Does verify find it: with and without --deep, only with --deep, never (valid), or either. */
  detect: 'both' | 'deep' | 'no' | 'maybe';
  names?: Pattern[];
  field?: Pattern[];
  /** Absolute paths restore must not create. */
  evil?: string[];
  /** Exit codes of restore when MANIFEST.tsv lies but parses. */
  restore?: number[];
  /** Replaces the file by something else than a file (after mutate). */
  prepare?: (path: string) => Promise<void>;
  /** Only these commands, only through the built CLI, with this time limit (a hang is killed there). */
  cliOnly?: { commands: SnapCommand[]; timeoutMs: number; wants: Partial<Record<SnapCommand, Want>> };
}

const memberNames: Pattern[] = [/MANIFEST\.tsv|manifest/, /"docs\//];

function snapshotCases(): SnapCase[] {
  const m = (name: string, resummed: boolean, mutate: SnapCase['mutate'], detect: SnapCase['detect'], extra: Partial<SnapCase> = {}): SnapCase =>
    ({ name: `snapshot.json: ${name}`, file: 'snapshot.json', resum: resummed, mutate, detect, ...extra });
  const meta = (edit: (o: Record<string, any>) => void) => (t: string) => { const o = JSON.parse(t) as Record<string, any>; edit(o); return json(o); };
  const mf = (name: string, mutate: SnapCase['mutate'], extra: Partial<SnapCase> = {}): SnapCase =>
    ({ name: `MANIFEST.tsv: ${name}`, file: 'MANIFEST.tsv', resum: true, mutate, detect: 'deep', names: [/MANIFEST\.tsv/, ...memberNames], restore: [3], ...extra });
  /** Replaces field `col` (0-based) of the line for `path` in MANIFEST.tsv. */
  const field = (path: string, col: number, value: string) => (t: string) =>
    t.split('\n').map((l) => (l.split('\t')[7] === path ? l.split('\t').map((x, i) => (i === col ? value : x)).join('\t') : l)).join('\n');
  const fs = (name: string, mutate: SnapCase['mutate'], extra: Partial<SnapCase> = {}): SnapCase =>
    ({ name: `FILES.sha256: ${name}`, file: 'FILES.sha256', resum: true, mutate, detect: 'deep', names: [/FILES\.sha256/], ...extra });
  const ss = (name: string, mutate: SnapCase['mutate'], detect: SnapCase['detect'] = 'both', extra: Partial<SnapCase> = {}): SnapCase =>
    ({ name: `SHA256SUMS: ${name}`, file: 'SHA256SUMS', resum: false, mutate, detect, names: [/SHA256SUMS|snapshot\.json|MANIFEST\.tsv|FILES\.sha256|\.tar\b/], ...extra });
  const half = (t: string) => t.slice(0, Math.floor(t.length / 2));
  const evil = join(root, 'EVIL-ABSOLUTE');
  return [
    m('truncated', false, half, 'both'),
    m('truncated, SHA256SUMS recomputed', true, half, 'both', { field: [/not valid JSON/] }),
    m('counts.files a string', true, meta((o) => { o.counts.files = '2'; }), 'both', { field: [/counts\.files/] }),
    m('counts.files negative', true, meta((o) => { o.counts.files = -2; }), 'both', { field: [/counts\.files/] }),
    m('tarball.size 1e400', true, meta((o) => { o.tarball.size = raw('1e400'); }), 'both', { field: [/tarball\.size/] }),
    m('tarball.size NaN', true, (t) => t.replace(/"size": \d+/, '"size": NaN'), 'both'),
    m('bytes.content 1.5', true, meta((o) => { o.bytes.content = 1.5; }), 'both', { field: [/bytes\.content/] }),
    m('previous.sha256sums not hex', true, meta((o) => { o.previous = { id: '2026-01-01T000000Z', sha256sums: 'z'.repeat(64) }; }), 'both', { field: [/previous/] }),
    m('problems: 100k nested arrays', true, (t) => t.replace('"problems": []', `"problems": ${deepArray(100_000)}`), 'both', { field: [/problems/] }),
    m('formatVersion 4 (a newer airgap)', true, meta((o) => { o.formatVersion = 4; }), 'both', { field: [/format(Version)? ?version 4|formatVersion/] }),
    m('formatVersion 3 without its tarball.gzip', true, meta((o) => { o.formatVersion = 3; }), 'both', { field: [/format 3 needs tarball\.gzip/] }),
    m('formatVersion 2 without its chain fields', true, meta((o) => { o.formatVersion = 2; }), 'both', { field: [/format 2 needs kind and chain/] }),
    m('format 1 claiming a base', true, meta((o) => { o.base = '2020-01-01T000000Z'; }), 'both', { field: [/format 1 has no kind, base or chain/] }),
    m('id of another snapshot', true, meta((o) => { o.id = '2020-01-01T000000Z'; }), 'both'),
    m('id with a zero-width space', true, meta((o) => { o.id = `${o.id as string}\u200b`; }), 'both'),
    m('tarball.sha256 of another file', true, meta((o) => { o.tarball.sha256 = 'a'.repeat(64); }), 'both'),
    m('binary garbage', true, () => seededBytes(mulberry32(SEED ^ 3), 700), 'both'),
    m('NUL bytes', true, (t) => insertAt(t, 5, '\u0000'), 'both'),
    m('UTF-8 byte order mark', true, (t) => `\ufeff${t}`, 'both'),
    m('UTF-16 LE', true, (t) => utf16le(t), 'both'),
    m('huge: 10 MB of whitespace (still valid)', true, (t) => withWhitespace(t), 'maybe'),
    m('CRLF line endings (still valid)', true, (t) => t.replace(/\n/g, '\r\n'), 'no'),
    m('drive.name with a bidi override (free text)', true, meta((o) => { o.drive.name = '\u202eA'; }), 'maybe'),
    m('__proto__ key (ignored)', true, (t) => t.replace('{\n', '{\n  "__proto__": { "id": "x" },\n'), 'no'),
    mf('truncated mid-line', (t) => t.slice(0, t.indexOf('docs/a.txt') + 3), { field: [/line \d+/] }),
    mf('size negative', field('docs/a.txt', 4, '-14'), { field: [/\bsize\b/] }),
    mf('size 1e400', field('docs/a.txt', 4, '1e400'), { field: [/\bsize\b/] }),
    mf('size NaN', field('docs/a.txt', 4, 'NaN'), { field: [/\bsize\b/] }),
    mf('size 2^64', field('docs/a.txt', 4, '18446744073709551616'), { field: [/\bsize\b/] }),
    mf('mtime with a bidi override', field('docs/a.txt', 5, '1\u202e2'), { field: [/\bmtime\b/] }),
    mf('one field too many', (t) => t.replace('\tdocs/a.txt\t', '\tdocs/a.txt\t\t'), { field: [/fields/] }),
    mf('one field too few', (t) => t.replace('\tdocs/a.txt\t', '\tdocs/a.txt'), { field: [/fields/] }),
    mf('unknown type', field('docs/a.txt', 0, 'x'), { field: [/type/] }),
    mf('unknown escape in a path', field('docs/a.txt', 7, 'docs/a\\q.txt'), { field: [/escape/] }),
    mf('header of another version', (t) => t.replace(MANIFEST_HEADER, '# airgap manifest v2'), { field: [/line 1/] }),
    mf('empty file', () => '', { field: [/empty/] }),
    mf('binary garbage', () => seededBytes(mulberry32(SEED ^ 4), 2000)),
    mf('CRLF line endings (read as lines)', (t) => t.replace(/\n/g, '\r\n'), { detect: 'maybe', restore: [0, 3] }),
    mf('huge: 10 MB of comment lines (valid)', (t) => t.replace('\n', `\n${'# padding\n'.repeat(1 << 20)}`), { detect: 'no', restore: [0] }),
    mf('a content hash changed', field('docs/a.txt', 6, 'b'.repeat(64)), { field: [/SHA-256|sha256/] }),
    mf('path traversal: ../../', field('docs/sub/b.txt', 7, '../../EVIL-RELATIVE')),
    mf('absolute path', field('docs/sub/b.txt', 7, evil), { evil: [evil] }),
    mf('path with a NUL escape', field('docs/sub/b.txt', 7, 'docs/sub/b\\x00.txt')),
    mf('path with a bidi override', field('docs/sub/b.txt', 7, 'docs/sub/b\u202etxt.exe')),
    mf('a line twice', (t) => t.replace(/^(f\t[^\n]*\tdocs\/a\.txt\t\n)/m, '$1$1'), { restore: [0, 3] }),
    fs('a hash changed', (t) => t.replace(/^[0-9a-f]/, (c) => (c === '0' ? '1' : '0')), { field: [/docs\/a\.txt|line 1/] }),
    fs('truncated', (t) => t.slice(0, Math.floor(t.length / 2))),
    fs('a path changed to ../x', (t) => t.replace('  docs/a.txt', '  ../x')),
    fs('truncated, SHA256SUMS not recomputed', (t) => t.slice(0, Math.floor(t.length / 2)), { resum: false, detect: 'both' }),
    ss('CRLF line endings', (t) => t.replace(/\n/g, '\r\n')),
    ss('a line twice, the first one wrong', (t) => { const l = t.split('\n')[1]!; return `${'0'.repeat(64)}${l.slice(64)}\n${t}`; }),
    ss('a line without a name', (t) => t.replace(/ {2}MANIFEST\.tsv/, '')),
    ss('an extra line for a file outside the snapshot', (t) => `${t}${'0'.repeat(64)}  ../../../../etc/passwd\n`, 'both', { names: [/passwd|SHA256SUMS/] }),
    ss('an extra line with a bidi override', (t) => `${t}${'0'.repeat(64)}  snapshot\u202enosj.json\n`, 'both', { names: [/snapshot|SHA256SUMS/] }),
    ss('binary garbage', () => seededBytes(mulberry32(SEED ^ 5), 300)),
    ss('empty file', () => ''),
    ss('huge: 12k lines for missing files', (t) => t + Array.from({ length: 12_000 }, (_, i) => `${'0'.repeat(64)}  missing-${i}\n`).join(''), 'both', { names: [/missing-\d+|SHA256SUMS/] }),
    ss('upper-case hashes (valid, as for sha256sum)', (t) => t.replace(/^[0-9a-f]{64}/gm, (h) => h.toUpperCase()), 'no'),
    ss('binary-mode markers (valid, as for sha256sum)', (t) => t.replace(/^([0-9a-f]{64}) {2}/gm, '$1 *'), 'no'),
    // A FIFO cannot be on FAT, but can on a tampered ext4 drive: read whole, it blocks forever.
    m('a FIFO', false, (t) => t, 'both', {
      prepare: async (p) => { await rm(p); execFileSync('mkfifo', [p]); },
      cliOnly: { commands: ['verify', 'list'], timeoutMs: 10_000, wants: { list: { codes: [0], names: ['snapshot.json'], warn: true } } },
    }),
  ];
}

/** The restore target, what is inside it, and the folders restore creates to reach it. */
const insideOrAbove = (target: string) => (rel: string) => rel === target || rel.startsWith(`${target}/`) || target.startsWith(`${rel}/`);

function snapWant(c: SnapCase, cmd: SnapCommand, mutated: Buffer, b: Box, target: string, before: { box: string[]; airgap: string[] }): Want {
  const names = c.names ?? [c.file];
  const manifestBroken = c.file === 'MANIFEST.tsv' && readManifest(mutated.toString('utf8')).error !== undefined;
  const metaInvalid = c.file === 'snapshot.json' && (() => {
    try {
      return !check(snapshotMetaSchema, JSON.parse(mutated.toString('utf8'))).ok;
    } catch {
      return true;
    }
  })();
  const detected = (deep: boolean): Want => {
    if (c.detect === 'both' || (c.detect === 'deep' && deep)) return { codes: [3], names, field: c.field };
    if (c.detect === 'no') return { codes: [0] };
    return { codes: [0, 3], names };
  };
  switch (cmd) {
    case 'verify': return detected(false);
    case 'verify --deep': return detected(true);
    // list reads only snapshot.json: an unreadable one is listed as damaged, saying so.
    case 'list': return metaInvalid ? { codes: [0], names: ['snapshot.json'], warn: true } : { codes: [0] };
    case 'restore': {
      // Restore verifies first (plain): what plain verify finds stops it, and so does a manifest
      // it cannot read; a manifest that lies costs the members it lies about.
      const w: Want = c.detect === 'both' ? { codes: [3], names }
        : manifestBroken ? { codes: [3], names: [/MANIFEST\.tsv/], field: c.field }
        : c.restore ? { codes: c.restore, names: [...memberNames, /docs\/|EVIL/] }
        : c.detect === 'no' || c.file === 'FILES.sha256' ? { codes: [0] }
        : { codes: [0, 3], names };
      w.after = async () => [
        ...(await unchanged('the case folder (outside the restore target)', b.dir, before.box, ['drives', 'state'], insideOrAbove(relative(b.dir, target)))),
        ...(await unchanged('the drive', b.airgapDir, before.airgap)),
        ...(await Promise.all((c.evil ?? []).map(async (p) => ((await stat(p).then(() => true, () => false)) ? `restore wrote ${p}` : '')))).filter(Boolean),
      ];
      return w;
    }
    // find and diff read MANIFEST.tsv without verifying: one they cannot read is damage they must report.
    case 'find': return manifestBroken ? { codes: [3], names: [/MANIFEST\.tsv|manifest/] } : { codes: [0] };
    case 'diff': return manifestBroken ? { codes: [3], names: [/MANIFEST\.tsv/] } : { codes: [0] };
  }
}

describe('bad snapshot files', () => {
  it('the table: verify names the file and the field, even with SHA256SUMS recomputed; restore refuses or copes, never outside its target', async () => {
    const cases = snapshotCases();
    const mine: Result[] = [];
    const runCase = async (c: SnapCase, commands: SnapCommand[], via: Via) => {
      const b = await box();
      const path = join(b.snapDir, c.file);
      const original = await readFile(path);
      const mutated = Buffer.from(c.mutate(original.toString('utf8'), original));
      await writeFile(path, mutated);
      if (c.resum) await resum(b.snapDir, c.file);
      await c.prepare?.(path);
      for (const [k, cmd] of commands.entries()) {
        const target = join(b.dir, 'out', `t${k}`, 'restored');
        const before = { box: await tree(b.dir, ['drives', 'state']), airgap: await tree(b.airgapDir) };
        const args = snapArgs(cmd, b, target);
        const o = via === 'cli' ? await viaCli(args, b.env, b.cwd, c.cliOnly?.timeoutMs) : await viaInProcess(args, b.env);
        mine.push(await record('snapshot', c.name, args, via, o, c.cliOnly?.wants[cmd] ?? snapWant(c, cmd, mutated, b, target, before)));
      }
      await rm(b.dir, { recursive: true, force: true });
    };
    // In-process: every command; the built CLI alongside: one command for every other case,
    // rotating, so that every command meets every kind of file.
    const inProcess = cases.filter((c) => !c.cliOnly);
    const cli: [SnapCase, SnapCommand[]][] = [
      ...cases.filter((c) => c.cliOnly).map((c): [SnapCase, SnapCommand[]] => [c, c.cliOnly!.commands]), // the slow ones first
      ...inProcess.filter((_, i) => i % 2 === 0).map((c, i): [SnapCase, SnapCommand[]] => [c, [SNAP_COMMANDS[i % SNAP_COMMANDS.length]!]]),
    ];
    await Promise.all([
      (async () => { for (const c of inProcess) await runCase(c, SNAP_COMMANDS, 'in-process'); })(),
      pool(cli, CLI_CONCURRENCY, ([c, commands]) => runCase(c, commands, 'cli')),
    ]);
    assertAllPassed(mine);
  }, IT_TIMEOUT_MS);

  it(`${RANDOM} seeded random mutations (in-process), judged by independent oracles`, async () => {
    const rng = mulberry32(SEED ^ 0x5a9);
    const b = await box();
    const files: SnapFile[] = ['snapshot.json', 'MANIFEST.tsv', 'FILES.sha256', 'SHA256SUMS'];
    const originals = new Map<SnapFile, Buffer>();
    for (const f of [...files]) originals.set(f, await readFile(join(b.snapDir, f)));
    const hashes = new Map<string, string>();
    for (const line of originals.get('SHA256SUMS')!.toString('utf8').trim().split('\n')) hashes.set(line.slice(66), line.slice(0, 64));
    const values = ['', '-1', '1e400', 'NaN', '0x10', '007', '99999999999999999999', '\u202e', 'a\tb', '../../x', '/abs', '\\q', '\\x00', 'f', 'd', 'z'.repeat(64), '0'.repeat(64)];
    const mine: Result[] = [];
    for (let i = 0; i < RANDOM; i++) {
      const file = pick(rng, ['snapshot.json', 'snapshot.json', 'MANIFEST.tsv', 'MANIFEST.tsv', 'MANIFEST.tsv', 'FILES.sha256', 'SHA256SUMS', 'SHA256SUMS'] as const);
      const original = originals.get(file)!;
      const text = original.toString('utf8');
      const lines = text.split('\n');
      const op = below(rng, 8);
      let out: Buffer;
      let what: string;
      if (op === 0) { const at = below(rng, original.length); out = original.subarray(0, at); what = `cut at ${at}`; }
      else if (op === 1) { const at = below(rng, original.length); const m = 1 + below(rng, 255); out = Buffer.from(original); out[at] = (out[at]! ^ m) & 0xff; what = `byte ${at} ^= ${m}`; }
      else if (op === 2) { const at = below(rng, original.length); const ins = Buffer.from(pick(rng, ['\u0000', '\r', '\t', '\n', '\u202e', '\ufeff', '\\', '"', '#'])); out = Buffer.concat([original.subarray(0, at), ins, original.subarray(at)]); what = `insert ${JSON.stringify(ins.toString())} at ${at}`; }
      else if (op === 3) { const l = below(rng, lines.length); lines.splice(l, 1); out = Buffer.from(lines.join('\n')); what = `delete line ${l + 1}`; }
      else if (op === 4) { const l = below(rng, lines.length); lines.splice(l, 0, lines[l]!); out = Buffer.from(lines.join('\n')); what = `duplicate line ${l + 1}`; }
      else if (op === 5) { out = Buffer.from(text.replace(/\n/g, '\r\n')); what = 'CRLF'; }
      else {
        // One field of one line: tab-separated (MANIFEST.tsv), a JSON value, or a sums line's hash or name.
        const l = below(rng, Math.max(1, lines.length - 1));
        const v = pick(rng, values);
        if (file === 'MANIFEST.tsv') {
          const cols = lines[l]!.split('\t');
          const col = below(rng, cols.length);
          cols[col] = v;
          lines[l] = cols.join('\t');
          what = `line ${l + 1} field ${col + 1} = ${JSON.stringify(v)}`;
        } else if (file === 'snapshot.json') {
          const [path] = pick(rng, paths(JSON.parse(text) as unknown));
          const parsedValue = /^-?\d+(\.\d+)?(e\d+)?$/.test(v) ? raw(v) : v;
          lines.splice(0, lines.length, ...json(setAt(JSON.parse(text), path, pick(rng, [parsedValue, null, 5, [], {}]))).split('\n'));
          what = `${fieldName(path)} changed`;
        } else {
          const hashPart = rng() < 0.5;
          lines[l] = hashPart ? `${v.padEnd(64, '0').slice(0, 64)}${lines[l]!.slice(64)}` : `${lines[l]!.slice(0, 66)}${v}`;
          what = `line ${l + 1} ${hashPart ? 'hash' : 'name'} = ${JSON.stringify(v)}`;
        }
        out = Buffer.from(lines.join('\n'));
      }
      const resummed = file !== 'SHA256SUMS' && rng() < 0.5;
      const deep = rng() < 0.6;
      await writeFile(join(b.snapDir, file), out);
      if (resummed) await resum(b.snapDir, file);
      const sumsNow = await readFile(join(b.snapDir, 'SHA256SUMS'), 'utf8');
      const changed = !out.equals(original);

      // The oracles: what must verify conclude?
      let want: Want;
      if (!changed) want = { codes: [0] };
      else if (file === 'SHA256SUMS') want = sumsAccepted(sumsNow, hashes) ? { codes: [0] } : { codes: [3], names: [/SHA256SUMS|snapshot\.json|MANIFEST\.tsv|FILES\.sha256|\.tar\b/] };
      else if (!resummed) want = { codes: [3], names: [file] };
      else if (file === 'snapshot.json') {
        const parsed = (() => { try { return JSON.parse(out.toString('utf8')) as unknown; } catch { return undefined; } })();
        want = parsed === undefined ? { codes: [3], names: [file] }
          : JSON.stringify(parsed) === JSON.stringify(JSON.parse(text)) ? { codes: [0] }
          : { codes: [0, 3], names: [file, /\.tar\b/] };
      } else if (file === 'MANIFEST.tsv') {
        const a = readManifest(out.toString('utf8'));
        const same = a.entries && JSON.stringify(a.entries) === JSON.stringify(readManifest(text).entries);
        want = !deep || same ? { codes: [0] } : a.error ? { codes: [3], names: [/MANIFEST\.tsv/] } : { codes: [3], names: memberNames };
      } else {
        // FILES.sha256 is the list stock tools check restored files with: a lie in it is damage too.
        const parse = (t: string) => t.split('\n').filter(Boolean).join('\n');
        want = !deep || parse(out.toString('utf8')) === parse(text) ? { codes: [0, 3], names: [file] } : { codes: [3], names: [file] };
      }
      const cmd = deep ? ['verify', 'A', '--deep'] : ['verify', 'A'];
      const name = `random snapshot #${i} (${file}: ${what}${resummed ? ', SHA256SUMS recomputed' : ''})`;
      mine.push(await record('snapshot', name, cmd, 'in-process', await viaInProcess(cmd, b.env), want));
      // Every 4th case: restore too (never a crash, never outside the target).
      if (i % 4 === 0) {
        const target = join(b.dir, 'out', `r${i}`, 'restored');
        const before = { box: await tree(b.dir, ['drives', 'state']), airgap: await tree(b.airgapDir) };
        const args = ['restore', 'A', '--to', target];
        mine.push(await record('snapshot', name, args, 'in-process', await viaInProcess(args, b.env), {
          codes: [0, 3, 4],
          after: async () => [
            ...(await unchanged('the case folder', b.dir, before.box, ['drives', 'state'], insideOrAbove(relative(b.dir, target)))),
            ...(await unchanged('the drive', b.airgapDir, before.airgap)),
          ],
        }));
        await rm(join(b.dir, 'out'), { recursive: true, force: true });
      }
      for (const f of files) await writeFile(join(b.snapDir, f), originals.get(f)!);
    }
    assertAllPassed(mine);
  }, IT_TIMEOUT_MS);
});

// ---------------------------------------------------------------------------------------------
// The host catalog (state dir, catalog.json): damaged, it is moved aside and reported (and
// rebuilt from the drives); something that cannot be read or moved is a refusal.

describe('a bad catalog (state/catalog.json)', () => {
  it('is moved aside with a warning naming it, or refused; never a crash', async () => {
    const cases: { name: string; content: (t: string) => string | Buffer; prepare?: (p: string) => Promise<void>; codes: number[]; warn: boolean; inProcessOnly?: boolean }[] = [
      { name: 'truncated', content: (t) => t.slice(0, Math.floor(t.length / 2)), codes: [0], warn: true },
      { name: 'binary garbage', content: () => seededBytes(mulberry32(SEED ^ 6), 500), codes: [0], warn: true },
      { name: 'wrong types', content: () => '{"version": 1, "drives": [{"id": 5}]}', codes: [0], warn: true },
      { name: 'UTF-16', content: (t) => utf16le(t), codes: [0], warn: true },
      { name: 'huge: 10 MB of whitespace around a valid catalog', content: (t) => withWhitespace(t), codes: [0], warn: false },
      { name: 'a folder', content: () => '', prepare: async (p) => { await rm(p); await mkdir(p); }, codes: [4], warn: false },
      { name: 'a FIFO', content: () => '', prepare: async (p) => { await rm(p); execFileSync('mkfifo', [p]); }, codes: [4], warn: false, inProcessOnly: true },
      ...(IS_ROOT ? [] : [{ name: 'unreadable', content: (t: string) => t, prepare: (p: string) => chmod(p, 0), codes: [4], warn: false }]),
    ];
    const mine: Result[] = [];
    const commands = [['status'], ['verify', 'A']];
    const runCase = async (c: (typeof cases)[number], via: Via, only?: string[]) => {
      for (const cmd of only ? [only] : commands) {
        const b = await box(json(baseConfig()));
        const file = join(b.state, 'catalog.json');
        await writeFile(file, c.content(await readFile(file, 'utf8')));
        await c.prepare?.(file);
        const o = via === 'cli' ? await viaCli(cmd, b.env, b.cwd) : await viaInProcess(cmd, b.env);
        mine.push(await record('catalog', c.name, cmd, via, o, {
          codes: c.codes, names: ['catalog.json'], warn: c.warn,
          after: async () => (c.warn && !(await readdir(b.state)).some((n) => n.startsWith('catalog.json.damaged-')) ? ['the damaged catalog was not kept aside'] : []),
        }));
      }
    };
    await Promise.all([
      (async () => { for (const c of cases) await runCase(c, 'in-process'); })(),
      pool(cases.filter((c) => !/UTF-16|huge/.test(c.name) && !c.inProcessOnly).map((c, i) => [c, i] as const), CLI_CONCURRENCY, ([c, i]) => runCase(c, 'cli', commands[i % 2]!)),
    ]);
    assertAllPassed(mine);
  }, IT_TIMEOUT_MS);
});

// ---------------------------------------------------------------------------------------------
// Bad command lines: exit 2 with a usage line (error: + hint:), naming the option where one is
// at fault. Run in an empty folder: an empty path must not mean "here".

describe('bad command lines', () => {
  it('unknown commands and options, missing arguments, absurd values → exit 2 naming the option', async () => {
    // Each case in its own sandbox: one that wrongly succeeds must not change what the others see.
    const o = (opt: string) => [new RegExp(opt.replace(/-/g, '\\-'))];
    // cwd: the empty string means "here" to path.resolve: only through the CLI, in an empty folder
    // (in-process, "here" would be the checkout, and --config ''/--drives-root '' the real machine).
    interface CliCase { args: (b: Box, dir: string) => string[]; codes?: number[]; names?: Pattern[]; env?: (b: Box) => Env; cwd?: boolean }
    const cases: CliCase[] = [
      { args: () => ['frobnicate'], names: [/frobnicate/] },
      { args: () => ['--json', 'frobnicate'], names: [/frobnicate/] },
      { args: () => ['plan', '--frob'], names: o('--frob') },
      { args: () => ['verify'], names: [/drive/] },
      { args: () => ['restore', 'A'], names: o('--to') },
      { args: () => ['find', 'A'], names: [/pattern/] },
      { args: (_, d) => ['label', d], names: o('--name') },
      { args: () => ['schedule', '--weeks'], names: o('--weeks') },
      { args: () => ['schedule', '--weeks', '-1'], names: o('--weeks') },
      { args: () => ['schedule', '--weeks', '0'], names: o('--weeks') },
      { args: () => ['schedule', '--weeks', '99999999999999999999'], names: o('--weeks') },
      { args: () => ['schedule', '--weeks', '1e400'], names: o('--weeks') },
      { args: () => ['schedule', '--weeks', 'NaN'], names: o('--weeks') },
      { args: () => ['schedule', '--weeks', ''], names: o('--weeks') },
      { args: () => ['schedule', '--weeks', '0x10'], names: o('--weeks') },
      { args: () => ['schedule', '--weeks', '2', '--until', '2027-01-01'], names: o('--weeks') },
      { args: () => ['schedule', '--from', 'garbage'], names: o('--from') },
      { args: () => ['schedule', '--from', '2027-01-01', '--until', '2026-01-01'], names: o('--until') },
      { args: () => ['schedule', '--format', 'pdf'], names: o('--format') },
      { args: () => ['schedule', '--output', ''], names: o('--output') },
      { args: (b) => ['schedule', '--output', join(b.dir, 'no-such-folder', 'schedule.txt')], codes: [2, 4], names: [/no-such-folder/] },
      { args: (_, d) => ['schedule', '--output', d], codes: [2, 4], names: [/a-folder/] },
      { args: () => ['plan', '--date', '2026-02-30'], names: o('--date') },
      { args: () => ['plan', '--date', '2026-13-01'], names: o('--date') },
      { args: () => ['plan', '--date', ''], names: o('--date') },
      { args: () => ['plan', '--date', '2026-11-21T00:00:00Z'], names: o('--date') },
      { args: () => ['backup', '--drive', ''], names: o('--drive') },
      { args: () => ['backup', '--drive', 'A', '--source', ''], names: [/source/], cwd: true },
      { args: () => ['backup', '--drive', 'A', '--exclude', `*${'a'.repeat(70_000)}`], names: o('--exclude') },
      { args: () => ['find', 'A', ''], names: [/pattern/] },
      { args: () => ['find', 'A', `*${'a'.repeat(70_000)}`], names: [/pattern/] },
      { args: () => ['verify', 'A', '--snapshot', ''], names: o('--snapshot') },
      { args: () => ['verify', 'A', '--snapshot', '../../etc'], names: [/\.\.\/\.\.\/etc/] },
      { args: () => ['verify', ''], names: [/drive/] },
      { args: () => ['list', ''], names: [/drive/] },
      { args: () => ['label', '', '--name', 'X', '--yes'], names: [/path|folder/], cwd: true },
      { args: (_, d) => ['label', d, '--name', '', '--yes'], names: [/name/] },
      { args: (_, d) => ['label', d, '--name', 'A'.repeat(41), '--yes'], names: [/name/] },
      { args: (_, d) => ['label', d, '--name', '\u202eA', '--yes'], names: [/name/] },
      { args: () => ['restore', 'A', '--to', ''], names: o('--to') },
      { args: (b) => ['restore', 'A', '--snapshot', 'nope', '--to', join(b.dir, 'restored')], names: [/nope/] },
      { args: () => ['diff', 'A', tpl.snapId], names: [/two snapshots/] },
      { args: () => ['watch', '--timeout', 'abc'], names: o('--timeout') },
      { args: () => ['watch', '--timeout', '-5'], names: o('--timeout') },
      { args: () => ['init', '--source', src, '--drives', 'A,\u202eB', '--yes'], names: [/drive|name/], env: (b) => ({ AIRGAP_CONFIG: join(b.dir, 'new-config.json') }) },
      { args: () => ['--config', '', 'plan'], names: [/config/], cwd: true },
      { args: () => ['--drives-root', '', 'list'], names: [/drives-root/], cwd: true },
    ];
    const mine: Result[] = [];
    const runCase = async (c: CliCase, b: Box, dir: string, argv: string[], via: Via, name: string) => {
      const before = { drive: await tree(b.airgapDir), cwd: await tree(b.cwd), dir: await tree(dir) };
      const env = { ...b.env, ...c.env?.(b) };
      const out = via === 'cli' ? await viaCli(argv, env, b.cwd) : await viaInProcess(argv, env);
      mine.push(await record('cli-input', name, argv, via, out, {
        codes: c.codes ?? [2], names: c.names, rawOk: true,
        after: async () => [
          ...(await unchanged('the drive', b.airgapDir, before.drive)),
          ...(await unchanged('the current folder', b.cwd, before.cwd)),
          ...(await unchanged('the folder given', dir, before.dir)),
        ],
      }));
    };
    const one = async (c: CliCase, via: Via) => {
      const b = await box(json(baseConfig()));
      const dir = join(b.dir, 'a-folder');
      await mkdir(dir);
      const argv = c.args(b, dir);
      await runCase(c, b, dir, argv, via, `argv ${JSON.stringify(argv.map((a) => (a.length > 30 ? `${a.slice(0, 12)}…(${a.length})` : a)))}`);
      await rm(b.dir, { recursive: true, force: true });
    };
    // In-process: every case that does not depend on the current folder; the built CLI: those
    // that do, and every fourth of the others.
    await Promise.all([
      (async () => { for (const c of cases.filter((x) => !x.cwd)) await one(c, 'in-process'); })(),
      pool(cases.filter((c, i) => c.cwd || i % 4 === 0), CLI_CONCURRENCY, (c) => one(c, 'cli')),
    ]);
    // NUL bytes cannot pass through execve: in-process only.
    const nul: CliCase[] = [
      { args: (b) => ['verify', join(b.dir, 'x\u0000y')] },
      { args: (b) => ['label', join(b.dir, 'x\u0000y'), '--name', 'N', '--yes'] },
      { args: (b) => ['restore', 'A', '--to', join(b.dir, 'o\u0000ut')] },
      { args: (b) => ['backup', '--drive', 'A', '--source', join(b.dir, 's\u0000rc')] },
      { args: () => ['plan', '--date', '2026-11-21\u0000'] },
    ];
    for (const c of nul) {
      const b = await box(json(baseConfig()));
      const dir = join(b.dir, 'a-folder');
      await mkdir(dir);
      const argv = c.args(b, dir);
      await runCase(c, b, dir, argv, 'in-process', `argv with a NUL: ${argv[0]}`);
    }
    assertAllPassed(mine);
  }, IT_TIMEOUT_MS);
});
