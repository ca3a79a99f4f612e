// The mass-change gate's pure core: comparing two listings, the entropy of a sample, the verdict.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { compareArchivePaths } from '../../src/core/archive-order.js';
import {
  compareListings, DEFAULT_GATE, entropyOf, judgeChanges,
  type ChangeReport, type GatePolicy, type ListingEntry,
} from '../../src/core/change-analysis.js';

/** A listing in archive order, as an async iterable (the way the baseline and the scan are read). */
async function* listing(entries: ListingEntry[]): AsyncGenerator<ListingEntry> {
  for (const e of [...entries].sort((a, b) => compareArchivePaths(a.path, b.path))) yield e;
}

const file = (path: string, size: number, extra: Partial<ListingEntry> = {}): ListingEntry => ({ path, type: 'file', size, mtime: 1_700_000_000, ...extra });
const dir = (path: string): ListingEntry => ({ path, type: 'dir', size: 0, mtime: 1_700_000_000 });
const sha = (n: number) => n.toString(16).padStart(64, '0');

/** A sampler that records what it was asked for and answers from a table (default: text-like). */
function sampler(table: Record<string, number | undefined> = {}, fallback: number | undefined = 4.2) {
  const asked: string[] = [];
  const fn = async (e: ListingEntry) => {
    asked.push(e.path);
    return e.path in table ? table[e.path] : fallback;
  };
  return { fn, asked };
}

const compare = (old: ListingEntry[], cur: ListingEntry[], sample = sampler().fn) => compareListings(listing(old), listing(cur), sample);

describe('compareListings', () => {
  it('counts added, deleted and modified files by content hash, and ignores folders', async () => {
    const old = [dir('docs'), file('docs/a.txt', 100, { sha256: sha(1) }), file('docs/b.txt', 200, { sha256: sha(2) }), file('docs/c.txt', 300, { sha256: sha(3) }), file('keep.md', 50, { sha256: sha(4) })];
    const cur = [dir('docs'), dir('new'), file('docs/a.txt', 100, { sha256: sha(1) }), file('docs/b.txt', 200, { sha256: sha(22) }), file('new/d.txt', 400, { sha256: sha(5) }), file('keep.md', 50, { sha256: sha(4) })];
    const r = await compare(old, cur);
    expect(r).toMatchObject({ oldFiles: 4, newFiles: 4, added: 1, deleted: 1, modified: 1, renamed: 0 });
    expect(r.examples.added).toEqual(['new/d.txt']);
    expect(r.examples.deleted).toEqual(['docs/c.txt']);
    expect(r.examples.modified).toEqual(['docs/b.txt']);
  });

  it('same hash means unchanged even when size or mtime differ (a touched file)', async () => {
    const r = await compare([file('a.txt', 10, { sha256: sha(1) })], [file('a.txt', 10, { sha256: sha(1), mtime: 1_800_000_000 })]);
    expect(r.modified).toBe(0);
  });

  it('without hashes on both sides, a file is modified when its size or its mtime differs', async () => {
    const old = [file('same.txt', 10), file('size.txt', 10), file('mtime.txt', 10), file('half-hash.txt', 10, { sha256: sha(9) })];
    const cur = [file('same.txt', 10), file('size.txt', 11), file('mtime.txt', 10, { mtime: 1_700_000_001 }), file('half-hash.txt', 10)];
    const { fn, asked } = sampler();
    const r = await compare(old, cur, fn);
    expect(r.modified).toBe(2);
    expect(r.examples.modified).toEqual(['mtime.txt', 'size.txt']);
    // Only modified files are sampled.
    expect(asked.sort()).toEqual(['mtime.txt', 'size.txt']);
    expect(r.sampled).toBe(2);
  });

  it('a file that vanished under one path and appeared under another with the same hash is a rename', async () => {
    const old = [file('old/report.txt', 1000, { sha256: sha(1) }), file('old/other.txt', 10, { sha256: sha(2) }), file('stay.txt', 5, { sha256: sha(3) })];
    const cur = [file('new/report-final.txt', 1000, { sha256: sha(1) }), file('new/other.txt', 12, { sha256: sha(4) }), file('stay.txt', 5, { sha256: sha(3) })];
    const r = await compare(old, cur);
    expect(r).toMatchObject({ renamed: 1, added: 1, deleted: 1, modified: 0 });
  });

  it('two copies renamed count once per matching pair', async () => {
    const old = [file('a/x.bin', 10, { sha256: sha(7) }), file('b/x.bin', 10, { sha256: sha(7) })];
    const cur = [file('c/x.bin', 10, { sha256: sha(7) }), file('d/x.bin', 10, { sha256: sha(7) }), file('e/x.bin', 10, { sha256: sha(7) })];
    const r = await compare(old, cur);
    expect(r).toMatchObject({ renamed: 2, added: 1, deleted: 0 });
  });

  it('sums the bytes added, deleted and modified (new size of modified files)', async () => {
    const old = [file('a', 100, { sha256: sha(1) }), file('b', 200, { sha256: sha(2) }), file('c', 300, { sha256: sha(3) })];
    const cur = [file('a', 150, { sha256: sha(11) }), file('b', 200, { sha256: sha(2) }), file('d', 4000, { sha256: sha(4) }), file('e', 6, { sha256: sha(5) })];
    const r = await compare(old, cur);
    expect(r.bytes).toEqual({ added: 4006, deleted: 300, modified: 150 });
  });

  it('a pure rename adds and deletes no bytes (the counts and the bytes agree)', async () => {
    const old = [file('old/big.iso', 5_000_000, { sha256: sha(1) })];
    const cur = [file('new/big.iso', 5_000_000, { sha256: sha(1) })];
    const r = await compare(old, cur);
    expect(r).toMatchObject({ renamed: 1, added: 0, deleted: 0 });
    expect(r.bytes).toEqual({ added: 0, deleted: 0, modified: 0 });
  });

  it('ranks the folders (two levels deep) with the most changes, top 5', async () => {
    const old: ListingEntry[] = [];
    const cur: ListingEntry[] = [];
    const counts: Record<string, number> = { 'p/a': 7, 'p/b': 5, 'q/c': 4, 'q/d': 3, 'r/e': 2, 's/f': 1 };
    let n = 0;
    for (const [folder, k] of Object.entries(counts)) {
      for (let i = 0; i < k; i++) cur.push(file(`${folder}/deep/er/f${i}.txt`, 1, { sha256: sha(++n) }));
    }
    old.push(file('top.txt', 1, { sha256: sha(999) }));
    cur.push(file('top.txt', 2, { sha256: sha(1000) }));
    const r = await compare(old, cur);
    expect(r.topFolders).toEqual([
      { folder: 'p/a', changes: 7 }, { folder: 'p/b', changes: 5 }, { folder: 'q/c', changes: 4 }, { folder: 'q/d', changes: 3 }, { folder: 'r/e', changes: 2 },
    ]);
    // A file at the root counts under "."
    const r2 = await compare(old, [file('top.txt', 2, { sha256: sha(1000) })]);
    expect(r2.topFolders).toEqual([{ folder: '.', changes: 1 }]);
  });

  it('caps the examples at 10 per kind while counting everything', async () => {
    const old = Array.from({ length: 30 }, (_, i) => file(`d/old${String(i).padStart(2, '0')}.txt`, 1000, { sha256: sha(i + 1), entropy: 4 }));
    const modified = old.slice(0, 15).map((e, i) => ({ ...e, sha256: sha(100 + i), entropy: undefined }));
    const added = Array.from({ length: 25 }, (_, i) => file(`d/new${String(i).padStart(2, '0')}.txt`, 10, { sha256: sha(200 + i) }));
    const r = await compare(old, [...modified, ...added], sampler({}, 7.95).fn);
    expect(r).toMatchObject({ added: 25, deleted: 15, modified: 15, encrypted: 15 });
    for (const k of ['added', 'deleted', 'modified', 'encrypted'] as const) expect(r.examples[k]).toHaveLength(10);
    expect(r.examples.added[0]).toBe('d/new00.txt');
    expect(r.examples.deleted[0]).toBe('d/old15.txt');
  });

  it('reports a new extension only when no file had it before, most files first', async () => {
    const old = [file('a/1.txt', 1, { sha256: sha(1) }), file('a/2.JPG', 1, { sha256: sha(2) }), file('a/Makefile', 1, { sha256: sha(3) })];
    const cur = [
      ...old,
      ...Array.from({ length: 4 }, (_, i) => file(`b/n${i}.txt`, 2, { sha256: sha(10 + i) })), // .txt existed
      ...Array.from({ length: 3 }, (_, i) => file(`b/p${i}.jpg`, 2, { sha256: sha(20 + i) })), // .JPG existed (case folded)
      ...Array.from({ length: 2 }, (_, i) => file(`b/README${i}`, 2, { sha256: sha(30 + i) })), // no extension: never listed
      ...Array.from({ length: 5 }, (_, i) => file(`b/q${i}.locked`, 2, { sha256: sha(40 + i) })),
      file('b/r.crypt', 2, { sha256: sha(50) }),
      file('b/.hidden', 2, { sha256: sha(51) }), // a dot file has no extension
    ];
    const r = await compare(old, cur);
    expect(r.newExtensions).toEqual([{ ext: 'locked', files: 5 }, { ext: 'crypt', files: 1 }]);
  });

  it('an extension that already existed is not new, even if 1000 more files get it', async () => {
    const old = [file('x/a.pdf', 1, { sha256: sha(1) })];
    const cur = [...old, ...Array.from({ length: 1000 }, (_, i) => file(`y/f${i}.pdf`, 1 + i, { sha256: sha(100 + i) }))];
    expect((await compare(old, cur)).newExtensions).toEqual([]);
  });

  it('a ransom note is the same small readable file dropped in at least 5 folders', async () => {
    const note = (folder: string) => file(`${folder}/HOW-TO-DECRYPT.txt`, 812, { sha256: sha(77) });
    const old = [file('keep.txt', 1, { sha256: sha(1) })];
    const five = ['a', 'b', 'c', 'd', 'e'].map(note);
    const r = await compare(old, [...old, ...five], sampler({}, 4.5).fn);
    expect(r.ransomNotes).toEqual([{ name: 'HOW-TO-DECRYPT.txt', folders: 5 }]);
    expect(r.added).toBe(5);
  });

  it('no ransom note in only 4 folders', async () => {
    const old = [file('keep.txt', 1, { sha256: sha(1) })];
    const four = ['a', 'b', 'c', 'd'].map((f) => file(`${f}/README-NOW.txt`, 300, { sha256: sha(5) }));
    expect((await compare(old, [...old, ...four])).ransomNotes).toEqual([]);
  });

  it('no ransom note when the repeated small file looks random (encrypted copies sharing a name)', async () => {
    const old = [file('keep.txt', 1, { sha256: sha(1) })];
    const many = ['a', 'b', 'c', 'd', 'e', 'f'].map((f, i) => file(`${f}/desktop.ini.enc`, 4096, { sha256: sha(10 + i) }));
    expect((await compare(old, [...old, ...many], sampler({}, 7.9).fn)).ransomNotes).toEqual([]);
    // The entropy carried by the listing is used before the sampler.
    const withEntropy = many.map((e) => ({ ...e, entropy: 7.9 }));
    expect((await compare(old, [...old, ...withEntropy], sampler({}, 3).fn)).ransomNotes).toEqual([]);
    const readable = many.map((e) => ({ ...e, entropy: 4.1 }));
    expect((await compare(old, [...old, ...readable], sampler({}, 7.99).fn)).ransomNotes).toEqual([{ name: 'desktop.ini.enc', folders: 6 }]);
  });

  it('no ransom note from large files or from files of different sizes', async () => {
    const old = [file('keep.txt', 1, { sha256: sha(1) })];
    const large = ['a', 'b', 'c', 'd', 'e'].map((f, i) => file(`${f}/NOTE.txt`, 64 * 1024 + 1, { sha256: sha(10 + i) }));
    expect((await compare(old, [...old, ...large])).ransomNotes).toEqual([]);
    const sizes = ['a', 'b', 'c', 'd', 'e'].map((f, i) => file(`${f}/NOTE.txt`, 100 + i, { sha256: sha(20 + i) }));
    expect((await compare(old, [...old, ...sizes])).ransomNotes).toEqual([]);
  });

  it('a modified file looks newly encrypted when its sample is ≥ 7.5 bits/byte and it was plain before', async () => {
    const old = [
      file('a/was-text.txt', 5000, { sha256: sha(1), entropy: 4.3 }),
      file('a/was-random.bin', 5000, { sha256: sha(2), entropy: 7.95 }), // compressed before: says nothing
      file('a/no-entropy.txt', 5000, { sha256: sha(3) }), // a manifest: judged by its extension
      file('a/no-entropy.jpg', 5000, { sha256: sha(4) }),
      file('a/unreadable.txt', 5000, { sha256: sha(5), entropy: 4 }),
      file('a/still-text.txt', 5000, { sha256: sha(6), entropy: 4 }),
    ];
    const cur = old.map((e, i) => ({ ...e, entropy: undefined, sha256: sha(100 + i) }));
    const r = await compare(old, cur, sampler({ 'a/unreadable.txt': undefined, 'a/still-text.txt': 4.6 }, 7.97).fn);
    expect(r.modified).toBe(6);
    expect(r.sampled).toBe(5);
    expect(r.examples.encrypted.sort()).toEqual(['a/no-entropy.txt', 'a/was-text.txt']);
    expect(r.encrypted).toBe(2);
  });

  it('uses the entropy carried by the new listing instead of sampling', async () => {
    const old = [file('x.txt', 10, { sha256: sha(1), entropy: 4 })];
    const { fn, asked } = sampler({}, 7.99);
    const r = await compare(old, [file('x.txt', 10, { sha256: sha(2), entropy: 3.9 })], fn);
    expect(asked).toEqual([]);
    expect(r).toMatchObject({ modified: 1, sampled: 1, encrypted: 0 });
  });

  it('walks listings of different lengths to the end on both sides', async () => {
    const old = Array.from({ length: 50 }, (_, i) => file(`m/${String(i).padStart(3, '0')}`, 1, { sha256: sha(i + 1) }));
    const r1 = await compare(old, []);
    expect(r1).toMatchObject({ oldFiles: 50, newFiles: 0, deleted: 50 });
    const r2 = await compare([], old);
    expect(r2).toMatchObject({ oldFiles: 0, newFiles: 50, added: 50 });
  });
});

describe('entropyOf', () => {
  it('is 0 for an empty sample and for a sample of one repeated byte', () => {
    expect(entropyOf(new Uint8Array(0))).toBe(0);
    expect(entropyOf(new Uint8Array(16 * 1024))).toBe(0);
    expect(entropyOf(new Uint8Array(100).fill(0x41))).toBe(0);
  });

  it('is exactly 1 for two equally frequent bytes and 8 for all 256 values equally', () => {
    expect(entropyOf(Uint8Array.from({ length: 1000 }, (_, i) => (i % 2 ? 0 : 255)))).toBeCloseTo(1, 10);
    expect(entropyOf(Uint8Array.from({ length: 256 * 64 }, (_, i) => i % 256))).toBeCloseTo(8, 10);
  });

  it('is close to 8 for uniform random bytes (above the encrypted threshold)', () => {
    const h = entropyOf(randomBytes(16 * 1024));
    expect(h).toBeGreaterThan(7.98);
    expect(h).toBeLessThanOrEqual(8);
  });

  it('is about 4 to 5 for ordinary text', () => {
    const text = 'It was the best of times, it was the worst of times, it was the age of wisdom, it was the age of foolishness, '
      + 'it was the epoch of belief, it was the epoch of incredulity, it was the season of Light, it was the season of Darkness. '
      + 'Meeting notes: budget 2026 approved; send the invoices (No. 1432, 1433) to accounting before Friday.\n';
    const h = entropyOf(Buffer.from(text.repeat(20)));
    expect(h).toBeGreaterThan(3.8);
    expect(h).toBeLessThan(5);
  });
});

describe('judgeChanges', () => {
  const report = (r: Partial<ChangeReport>): ChangeReport => ({
    oldFiles: 100, newFiles: 100, added: 0, deleted: 0, modified: 0, renamed: 0, bytes: { added: 0, deleted: 0, modified: 0 },
    encrypted: 0, sampled: 0, newExtensions: [], ransomNotes: [], topFolders: [], examples: { added: [], deleted: [], modified: [], encrypted: [] },
    ...r,
  });

  it('the defaults are the documented ones', () => {
    expect(DEFAULT_GATE).toEqual({ changedShare: 0.3, encryptedShare: 0.5, deletedShare: 0.5, newExtensionFiles: 20, minFiles: 20 });
  });

  it('does not judge a tree with fewer files than minFiles, whatever happened', () => {
    const v = judgeChanges(report({ oldFiles: 19, newFiles: 0, deleted: 19 }), DEFAULT_GATE);
    expect(v.trip).toBe(false);
    expect(v.reasons[0]).toMatch(/only 19 files before: too few/);
    expect(judgeChanges(report({ oldFiles: 20, newFiles: 0, deleted: 20 }), DEFAULT_GATE).trip).toBe(true);
  });

  it('trips when > 30 % changed and > 50 % of the sampled modified files look encrypted', () => {
    const v = judgeChanges(report({ modified: 40, sampled: 40, encrypted: 30 }), DEFAULT_GATE);
    expect(v.trip).toBe(true);
    expect(v.reasons).toHaveLength(1);
    expect(v.reasons[0]).toMatch(/40 % of the files changed or disappeared and 75 % .*look encrypted \(30 of 40 sampled\)/);
  });

  it('deleted files count towards the changed share', () => {
    expect(judgeChanges(report({ modified: 20, deleted: 11, sampled: 20, encrypted: 20 }), DEFAULT_GATE).trip).toBe(true);
  });

  it('does not trip at exactly the thresholds, nor with only one of the two conditions', () => {
    expect(judgeChanges(report({ modified: 30, sampled: 30, encrypted: 30 }), DEFAULT_GATE).trip).toBe(false); // 30 % changed
    expect(judgeChanges(report({ modified: 60, sampled: 60, encrypted: 30 }), DEFAULT_GATE).trip).toBe(false); // 50 % encrypted
    expect(judgeChanges(report({ modified: 90, sampled: 90, encrypted: 0 }), DEFAULT_GATE).trip).toBe(false); // a bulk edit
    expect(judgeChanges(report({ modified: 10, sampled: 10, encrypted: 10 }), DEFAULT_GATE).trip).toBe(false); // a few files
    expect(judgeChanges(report({ modified: 50, sampled: 0, encrypted: 0 }), DEFAULT_GATE).trip).toBe(false); // nothing sampled
  });

  it('trips when more than half of the files disappeared', () => {
    const v = judgeChanges(report({ deleted: 51, newFiles: 49 }), DEFAULT_GATE);
    expect(v.trip).toBe(true);
    expect(v.reasons).toEqual(['51 % of the files disappeared (51 of 100)']);
    expect(judgeChanges(report({ deleted: 50, newFiles: 50 }), DEFAULT_GATE).trip).toBe(false);
  });

  it('trips on a new extension on many files together with a ransom note', () => {
    const base = { added: 25, newFiles: 125, newExtensions: [{ ext: 'locked', files: 20 }] };
    const v = judgeChanges(report({ ...base, ransomNotes: [{ name: 'HOW-TO-DECRYPT.txt', folders: 7 }] }), DEFAULT_GATE);
    expect(v.trip).toBe(true);
    expect(v.reasons[0]).toMatch(/20 files appeared with a new extension "\.locked" and an identical note "HOW-TO-DECRYPT\.txt" appeared in 7 folders/);
    expect(judgeChanges(report(base), DEFAULT_GATE).trip).toBe(false); // no note
    expect(judgeChanges(report({ ...base, newExtensions: [{ ext: 'locked', files: 19 }], ransomNotes: [{ name: 'N.txt', folders: 9 }] }), DEFAULT_GATE).trip).toBe(false);
  });

  it('lists every reason that applies', () => {
    const v = judgeChanges(report({
      deleted: 60, modified: 30, sampled: 30, encrypted: 30, newExtensions: [{ ext: 'crypt', files: 60 }], ransomNotes: [{ name: 'READ_ME.txt', folders: 12 }],
    }), DEFAULT_GATE);
    expect(v.trip).toBe(true);
    expect(v.reasons).toHaveLength(3);
  });

  it('follows a custom policy', () => {
    const lax: GatePolicy = { ...DEFAULT_GATE, deletedShare: 0.9 };
    expect(judgeChanges(report({ deleted: 80, newFiles: 20 }), lax).trip).toBe(false);
    expect(judgeChanges(report({ deleted: 91, newFiles: 9 }), lax).trip).toBe(true);
    const small: GatePolicy = { ...DEFAULT_GATE, minFiles: 0 };
    expect(judgeChanges(report({ oldFiles: 3, newFiles: 0, deleted: 3 }), small).trip).toBe(true);
  });
});

describe('compareListings + judgeChanges on whole trees', () => {
  const textTree = (n: number) => Array.from({ length: n }, (_, i) => file(`home/f${i % 10}/doc${i}.txt`, 2000 + i, { sha256: sha(i + 1), entropy: 4.4 }));

  it('ransomware encrypting 60 % of the files in place trips', async () => {
    const old = textTree(200);
    const cur = old.map((e, i) => (i % 5 < 3 ? { ...e, sha256: sha(10_000 + i), entropy: undefined } : e));
    const r = await compare(old, cur, sampler({}, 7.96).fn);
    expect(r).toMatchObject({ modified: 120, sampled: 120, encrypted: 120, added: 0, deleted: 0 });
    expect(judgeChanges(r, DEFAULT_GATE).trip).toBe(true);
  });

  it('ransomware renaming to .locked and dropping notes trips on the extension and the notes', async () => {
    const old = textTree(200);
    const cur: ListingEntry[] = [];
    old.forEach((e, i) => cur.push(i % 10 < 3 ? file(`${e.path}.locked`, e.size + 16, { sha256: sha(20_000 + i) }) : e));
    for (let f = 0; f < 10; f++) cur.push(file(`home/f${f}/HOW-TO-DECRYPT.txt`, 640, { sha256: sha(99_999) }));
    const r = await compare(old, cur, async (e) => (e.path.endsWith('.txt') ? 4.3 : 7.97));
    expect(r.newExtensions).toEqual([{ ext: 'locked', files: 60 }]);
    expect(r.ransomNotes).toEqual([{ name: 'HOW-TO-DECRYPT.txt', folders: 10 }]);
    expect(r.deleted).toBe(60); // 30 %: below the deleted threshold on its own
    const v = judgeChanges(r, DEFAULT_GATE);
    expect(v.trip).toBe(true);
    expect(v.reasons.join('\n')).toMatch(/\.locked/);
  });

  it('a legitimate import of many new photos and archives does not trip', async () => {
    const old = textTree(200);
    const imported = [
      ...Array.from({ length: 600 }, (_, i) => file(`photos/2026/IMG_${String(i).padStart(4, '0')}.jpg`, 3_000_000 + i, { sha256: sha(30_000 + i) })),
      ...Array.from({ length: 80 }, (_, i) => file(`archives/backup-${i}.zip`, 1_000_000 + i, { sha256: sha(40_000 + i) })),
    ];
    const r = await compare(old, [...old, ...imported], sampler({}, 7.99).fn);
    expect(r).toMatchObject({ added: 680, modified: 0, deleted: 0, encrypted: 0, ransomNotes: [] });
    expect(r.newExtensions.map((e) => e.ext)).toEqual(['jpg', 'zip']);
    const v = judgeChanges(r, DEFAULT_GATE);
    expect(v).toEqual({ trip: false, reasons: [] });
  });

  it('re-encoding photos in place (compressed before and after) does not look encrypted', async () => {
    const old = Array.from({ length: 100 }, (_, i) => file(`p/IMG_${i}.jpg`, 2_000_000 + i, { sha256: sha(i + 1), entropy: 7.97 }));
    const cur = old.map((e, i) => ({ ...e, size: e.size - 1000, sha256: sha(500 + i), entropy: undefined }));
    const r = await compare(old, cur, sampler({}, 7.98).fn);
    expect(r).toMatchObject({ modified: 100, encrypted: 0 });
    expect(judgeChanges(r, DEFAULT_GATE).trip).toBe(false);
  });
});

describe('entropyOf against the textbook formula', () => {
  // H = -Σ p log2 p, computed the slow way: the fast version rearranges it (one log per value).
  const textbook = (s: Uint8Array) => {
    const c = new Map<number, number>();
    for (const b of s) c.set(b, (c.get(b) ?? 0) + 1);
    let h = 0;
    for (const n of c.values()) h -= (n / s.length) * Math.log2(n / s.length);
    return h;
  };
  it('agrees to 1e-9 on random, skewed and short samples', () => {
    const samples: Uint8Array[] = [randomBytes(4096), randomBytes(1), randomBytes(3), Buffer.from('aab'), Buffer.from('hello, world')];
    for (let k = 1; k < 9; k++) samples.push(Uint8Array.from(randomBytes(2000), (b) => b >> k)); // fewer distinct values
    for (const s of samples) expect(entropyOf(s)).toBeCloseTo(textbook(s), 9);
  });
});
