// Helper of bench/delta-experiment.sh (issue 16: whole-file versus fixed-block delta for large
// files changed in place). Plain Node, no dependencies, so that the experiment reruns anywhere:
//
//   edit <file> <variant> <week> <seed>          change the file as one week of <variant> would
//   hash <file> <bs> <list-out>                  one read: whole SHA-256 + one SHA-256 per <bs> block
//   cost <file> <bs>...                          the writer's read+hash cost, whole vs blocks vs both
//   plan <old-list> <new-list> <baseBs> <bs> <size>  changed blocks at <bs> (a multiple of <baseBs>)
//   summary <results.jsonl>                      the tables of docs/delta-experiment.md, as markdown
//
// Every command but summary prints one JSON line on stdout.
import { createHash } from 'node:crypto';
import { closeSync, fstatSync, ftruncateSync, openSync, readFileSync, readSync, utimesSync, writeFileSync, writeSync } from 'node:fs';
import { argv, cpuUsage, exit, hrtime } from 'node:process';

const MiB = 1024 * 1024;
const KiB = 1024;

/** splitmix32-style PRNG: the same seed gives the same edits on any machine. */
function prng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return ((z ^ (z >>> 16)) >>> 0) / 2 ** 32;
  };
}

function randomBytes(rand, n) {
  const b = Buffer.allocUnsafe(Math.ceil(n / 4) * 4);
  for (let i = 0; i < b.length; i += 4) b.writeUInt32LE(Math.floor(rand() * 2 ** 32), i);
  return b.subarray(0, n);
}

/** A random offset, a multiple of `align`, where `len` bytes fit in `size`. */
function alignedOffset(rand, size, len, align) {
  const slots = Math.floor((size - len) / align);
  return Math.floor(rand() * (slots + 1)) * align;
}

function writeAt(fd, buf, pos) {
  let done = 0;
  while (done < buf.length) done += writeSync(fd, buf, done, buf.length - done, pos + done);
}

// The week's mtime: fixed, so that a restore can be checked for it.
const T0 = 1_700_000_000; // 2023-11-14T22:13:20Z
export const weekMtime = (week) => T0 + week * 7 * 86400;

function edit(file, variant, week, seed) {
  const rand = prng(seed * 1000 + week * 17 + variant.length);
  const fd = openSync(file, 'r+');
  const size = fstatSync(fd).size;
  const edits = [];
  const inPlace = (len) => {
    const off = alignedOffset(rand, size, len, 4 * KiB);
    writeAt(fd, randomBytes(rand, len), off);
    edits.push({ kind: 'write', offset: off, length: len });
  };
  let kind = variant;
  if (variant === 'mixed') kind = ['edit2m', 'insert4k', 'scatter64k', 'append8m', 'edit2m', 'shrink8m'][(week - 1) % 6];
  if (kind === 'edit2m') inPlace(2 * MiB);
  else if (kind === 'scatter64k') for (let i = 0; i < 8; i++) inPlace(64 * KiB);
  else if (kind === 'append8m') {
    const len = 8 * MiB + Math.floor(rand() * 64 * KiB);
    writeAt(fd, randomBytes(rand, len), size);
    edits.push({ kind: 'append', offset: size, length: len });
  } else if (kind === 'shrink8m') {
    const cut = 8 * MiB + 1 + Math.floor(rand() * 64 * KiB);
    ftruncateSync(fd, size - cut);
    edits.push({ kind: 'truncate', from: size, to: size - cut });
  } else if (kind === 'insert4k') {
    // A mailbox compaction or an insertion in the middle: every byte after it moves by 4 KiB.
    // Rewrites the second half of the file (read it, write it 4 KiB further).
    const at = alignedOffset(rand, Math.floor(size / 4), 0, 4 * KiB); // in the first quarter: > 75 % of the blocks move
    const chunk = Buffer.allocUnsafe(64 * MiB);
    let end = size;
    while (end > at) {
      const start = Math.max(at, end - chunk.length);
      const n = readSync(fd, chunk, 0, end - start, start);
      writeAt(fd, chunk.subarray(0, n), start + 4 * KiB);
      end = start;
    }
    writeAt(fd, randomBytes(rand, 4 * KiB), at);
    edits.push({ kind: 'insert', offset: at, length: 4 * KiB });
  } else throw new Error(`unknown variant ${variant}`);
  const newSize = fstatSync(fd).size;
  closeSync(fd);
  utimesSync(file, weekMtime(week), weekMtime(week));
  return { variant, kind, week, size, newSize, mtime: weekMtime(week), edits };
}

/** Reads `file` once in 16 MiB chunks; `onChunk(buf)` sees every chunk in order. */
function readAll(file, onChunk) {
  const fd = openSync(file, 'r');
  const buf = Buffer.allocUnsafe(16 * MiB); // a multiple of every block size measured
  let pos = 0;
  for (;;) {
    let n = 0;
    while (n < buf.length) {
      const r = readSync(fd, buf, n, buf.length - n, pos + n);
      if (r === 0) break;
      n += r;
    }
    if (n === 0) break;
    onChunk(buf.subarray(0, n));
    pos += n;
    if (n < buf.length) break;
  }
  closeSync(fd);
  return pos;
}

function timed(fn) {
  const c0 = cpuUsage();
  const t0 = hrtime.bigint();
  const result = fn();
  const wall = Number(hrtime.bigint() - t0) / 1e9;
  const c = cpuUsage(c0);
  return { result, wall, user: c.user / 1e6, sys: c.system / 1e6 };
}

/** One pass: the whole file's SHA-256 (when `whole`) and one SHA-256 per `bs` block (when `bs`). */
function hashPass(file, bs, whole) {
  const w = whole ? createHash('sha256') : null;
  const parts = [];
  const size = readAll(file, (chunk) => {
    if (w) w.update(chunk);
    if (bs) for (let i = 0; i < chunk.length; i += bs) parts.push(createHash('sha256').update(chunk.subarray(i, i + bs)).digest());
  });
  return { size, sha256: w ? w.digest('hex') : null, list: bs ? Buffer.concat(parts) : null };
}

const [cmd, ...args] = argv.slice(2);
if (cmd === 'edit') {
  const [file, variant, week, seed] = args;
  console.log(JSON.stringify(edit(file, variant, Number(week), Number(seed))));
} else if (cmd === 'hash') {
  const [file, bs, out] = args;
  const t = timed(() => hashPass(file, Number(bs), true));
  writeFileSync(out, t.result.list);
  console.log(JSON.stringify({ size: t.result.size, sha256: t.result.sha256, blocks: t.result.list.length / 32, wall: t.wall, user: t.user, sys: t.sys }));
} else if (cmd === 'cost') {
  const [file, ...sizes] = args;
  const rows = [];
  const mode = (label, bs, whole) => {
    const t = timed(() => hashPass(file, bs, whole));
    const size = t.result.size;
    rows.push({ mode: label, bs, wall: t.wall, user: t.user, sys: t.sys, mbps: size / MiB / t.wall, listBytes: bs ? Math.ceil(size / bs) * 32 : 0 });
  };
  mode('read only', 0, false);
  mode('whole SHA-256', 0, true);
  for (const s of sizes) {
    mode('block SHA-256s', Number(s), false);
    mode('whole + block SHA-256s', Number(s), true);
  }
  console.log(JSON.stringify(rows));
} else if (cmd === 'plan') {
  // Block i (of size bs) changed when any of its baseBs sub-blocks changed, or is new, or is the
  // last one of the new file and was cut (its sub-block hashes cover its new, shorter content).
  const [oldList, newList, baseBs, bs, newSize] = args;
  const a = readFileSync(oldList);
  const b = readFileSync(newList);
  const k = Number(bs) / Number(baseBs);
  const na = a.length / 32;
  const nb = b.length / 32;
  const changed = [];
  for (let blk = 0; blk * k < nb; blk++) {
    let diff = false;
    for (let j = blk * k; j < Math.min(nb, (blk + 1) * k) && !diff; j++) {
      if (j >= na || !a.subarray(j * 32, j * 32 + 32).equals(b.subarray(j * 32, j * 32 + 32))) diff = true;
    }
    if (diff) changed.push(blk);
  }
  const runs = [];
  for (const c of changed) {
    const last = runs[runs.length - 1];
    if (last && last[0] + last[1] === c) last[1]++;
    else runs.push([c, 1]);
  }
  const size = Number(newSize);
  const bytes = runs.reduce((s, [st, n]) => s + Math.max(0, Math.min(size, (st + n) * Number(bs)) - st * Number(bs)), 0);
  console.log(JSON.stringify({ bs: Number(bs), blocks: Math.ceil(size / Number(bs)), changed: changed.length, runs, bytes }));
} else if (cmd === 'summary') {
  summary(args[0]);
} else {
  console.error('usage: delta-experiment.mjs edit|hash|cost|plan …');
  exit(2);
}

function summary(file) {
  const recs = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  const of = (t) => recs.filter((r) => r.type === t);
  const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s.length ? (s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : NaN; };
  const sum = (xs) => xs.reduce((a, b) => a + b, 0);
  const mib = (n) => (n / MiB).toFixed(n < 10 * MiB ? 2 : 1);
  const kib = (n) => (n / KiB).toFixed(0);
  const env = of('env')[0];
  const out = [];
  out.push(`Run: ${(env.size / 2 ** 30).toFixed(2)} GiB file, ${env.weeks} weeks (mixed: ${env.mixedWeeks}), seed ${env.seed}; ${env.where}; cold cache: ${env.cold ? 'yes' : 'no'}; ${env.nproc} cores, ${env.cpu}; node ${env.node}; ${env.tar}; ${env.bsdtar}; ${env.busybox}.`, '');

  out.push('Writer cost, one pass over the file (first row cold: the disk; then warm: the CPU):', '');
  out.push('| pass | block size | wall s | user s | sys s | MiB/s | hash list per snapshot |', '|---|---|---|---|---|---|---|');
  for (const r of of('cost')[0].rows) out.push(`| ${r.mode} | ${r.bs ? kib(r.bs) + ' KiB' : '–'} | ${r.wall.toFixed(2)} | ${r.user.toFixed(2)} | ${r.sys.toFixed(2)} | ${r.mbps.toFixed(0)} | ${r.listBytes ? kib(r.listBytes) + ' KiB' : '–'} |`);
  out.push('');

  const weeks = of('week');
  const variants = [...new Set(weeks.map((w) => w.variant))];
  const sizes = [...new Set(weeks.map((w) => w.bs))];
  const restores = of('delta-restore');
  out.push('Bytes stored per week (median over the weeks), and the stock restore of the whole chain (full + every week):', '');
  out.push('| variant | block | whole-file MiB/week | delta increment MiB/week | + hash list KiB | delta / whole | chain total MiB, whole / delta | changed blocks/week | dd runs/week (max) | dd commands in chain | restored (tools) | full s | links s | check s |');
  out.push('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const v of variants) for (const bs of sizes) {
    const ws = weeks.filter((w) => w.variant === v && w.bs === bs);
    const whole = median(ws.map((w) => w.size));
    const inc = median(ws.map((w) => w.incBytes));
    const list = median(ws.map((w) => w.listBytes));
    const rs = restores.filter((r) => r.variant === v && r.bs === bs);
    const g = rs.find((r) => r.tool === 'gnu');
    const wholeWeeks = ws.filter((w) => w.kind === 'whole').length;
    out.push(`| ${v}${wholeWeeks ? ` (${wholeWeeks} wk whole)` : ''} | ${kib(bs)} KiB | ${mib(whole)} | ${mib(inc)} | ${kib(list)} | ${((inc + list) / whole * 100).toFixed(3)} % | ${mib(sum(ws.map((w) => w.size)))} / ${mib(sum(ws.map((w) => w.incBytes + w.listBytes)))} | ${median(ws.map((w) => w.changed))} | ${median(ws.map((w) => w.runs))} (${Math.max(...ws.map((w) => w.runs))}) | ${g ? g.ddCommands : '–'} | ${rs.map((r) => `${r.tool} ${r.ok ? 'OK' : 'FAIL'}`).join(', ') || '–'} | ${g ? g.fullWall.toFixed(1) : '–'} | ${g ? g.linksWall.toFixed(2) : '–'} | ${g ? g.checkWall.toFixed(1) : '–'} |`);
  }
  out.push('');
  out.push('Stock restores, every toolset:', '');
  out.push('| variant | block | toolset | OK | mtime OK | full s | links s | check s | dd commands | script lines |', '|---|---|---|---|---|---|---|---|---|---|');
  for (const r of restores) out.push(`| ${r.variant} | ${kib(r.bs)} KiB | ${r.tool} | ${r.ok ? 'yes' : 'NO'} | ${r.mtimeOk ? 'yes' : 'NO'} | ${r.fullWall.toFixed(1)} | ${r.linksWall.toFixed(2)} | ${r.checkWall.toFixed(1)} | ${r.ddCommands} | ${r.scriptLines} |`);
  out.push('');
  for (const n of of('negative')) out.push(`Negative control (${n.variant}, 1 MiB, GNU): ${n.what}: ${n.caught ? 'sha256sum -c fails, as it must' : 'NOT CAUGHT'}.`, '');
  const wr = of('whole-restore')[0];
  const fw = of('full-write')[0];
  const fx = of('extract-full');
  if (wr) {
    out.push(`Whole-file side: writing the newest whole copy (tar -cf + sync) ${wr.writeWall.toFixed(1)} s; extracting it cold ${wr.extractWall.toFixed(1)} s; sha256sum -c ${wr.checkWall.toFixed(1)} s. Full tarball written in ${fw.wall.toFixed(1)} s; extracted ${fx.map((x) => x.wall.toFixed(1)).join(', ')} s.`);
    const e2 = weeks.filter((w) => w.variant === 'edit2m');
    out.push(`Delta writer, edit2m: dd of the changed runs + tar + sync ${median(e2.map((w) => w.writeWall)).toFixed(2)} s per week and block size (median); the weekly hash pass (whole + 64 KiB blocks) ${median(e2.filter((w) => w.bs === sizes[0]).map((w) => w.hashWall)).toFixed(1)} s.`, '');
  }

  // Extrapolation: one 10 GB file changed (one 2 MiB edit a week) + 490 GB static, on 1 TB.
  const TB = 1e12;
  const F = 500e9;
  out.push('Extrapolation, 500 GB source = one 10 GB file (one 2 MiB edit a week, the edit2m medians) + 490 GB static, on a 1 TB drive: (1 TB − F)/W + 1:', '');
  out.push('| stored | W bytes/week | snapshots on 1 TB |', '|---|---|---|');
  out.push(`| whole file | 10,000,000,000 | ${Math.floor((TB - F) / 10e9) + 1} |`);
  for (const bs of sizes) {
    const ws = weeks.filter((w) => w.variant === 'edit2m' && w.bs === bs);
    if (!ws.length) continue;
    const W = median(ws.map((w) => w.incBytes)) + Math.ceil(10e9 / bs) * 32;
    out.push(`| delta, ${kib(bs)} KiB blocks (increment + hash list of 10 GB) | ${W.toLocaleString('en-US')} | ${(Math.floor((TB - F - Math.ceil(10e9 / bs) * 32) / W) + 1).toLocaleString('en-US')} |`);
  }
  console.log(out.join('\n'));
}
