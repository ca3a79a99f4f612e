// Reading encrypted snapshots (issue 18, docs/FORMAT.md "Encrypted drives (age)"): a format 2
// history written by the built CLI (a full and increments, the tarball in 1 MiB parts, a large
// file changed in place), copied to a second drive folder and encrypted there exactly as the
// design lays it out (test/helpers/encrypt-snapshot.ts). Then at the module level: plain verify
// needs no key and finds a flipped byte; deep verify decrypts and finds damage; a wrong key is a
// refusal (exit 4), no key a usage error, never "damaged"; restore of the newest and an older
// snapshot (whole, and one file at its offset) gives the plain drive's tree; one member is read
// by opening only its age chunks.
import { createHash } from 'node:crypto';
import { cp, mkdir, open, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AgeWrongKeyError } from '../../src/crypto/age-errors.js';
import type { AgeKeyPair } from '../../src/crypto/age-keys.js';
import { EXIT } from '../../src/core/errors.js';
import { setKeySource } from '../../src/io/keys.js';
import { partName } from '../../src/layout/format.js';
import { readMemberAt } from '../../src/layout/member-at.js';
import { readFullSnapshotMeta, readSnapshotMeta } from '../../src/layout/snapshot-meta.js';
import { restoreSnapshot } from '../../src/restore/restore.js';
import { findInSnapshots } from '../../src/restore/find.js';
import { manifestListing, sameSourcesSnapshot } from '../../src/gate/inspect.js';
import { verifySnapshot } from '../../src/verify/verify-snapshot.js';
import { DEFAULT_CHAIN_POLICY } from '../../src/core/chains.js';
import { readDriveContents } from '../../src/layout/drive-contents.js';
import { startChain } from '../../src/snapshot/chain-base.js';
import { ChainBlockLists } from '../../src/snapshot/block-lists.js';
import { scanSources } from '../../src/snapshot/scan.js';
import { labelledDrive, makeSandbox, runChecked, type Sandbox } from '../helpers/cli.js';
import { flipByte } from '../helpers/damage.js';
import { encryptSnapshot, newKey } from '../helpers/encrypt-snapshot.js';
import { readTree } from '../helpers/tree.js';
import { readManifestV2 } from '../helpers/v2-lists.js';

const text = (s: string, n = 1) => `${s}\n`.repeat(n);
const CHUNK = 64 * 1024;
const SEALED = CHUNK + 16;
const BIG = 17 * 1024 * 1024;

let sb: Sandbox;
let src: string;
let plain: string;
let sealed: string;
let key: AgeKeyPair;
const ids: string[] = [];

const useKey = (k: AgeKeyPair | undefined) => setKeySource(k ? async () => [{ kind: 'key', identity: k.identity }] : undefined);
const folder = (root: string, id: string) => ({ id, dir: join(root, 'airgap', id), complete: true });

/** A copy of the encrypted drive's airgap folder to damage. */
async function copyOfSealed(name: string): Promise<string> {
  const to = join(sb.dir, name);
  await cp(sealed, to, { recursive: true });
  return to;
}

beforeAll(async () => {
  sb = await makeSandbox();
  src = join(sb.dir, 'home', 'data');
  await mkdir(join(src, 'docs'), { recursive: true });
  for (const n of ['a', 'b', 'c']) await writeFile(join(src, `${n}.log`), text(`${n}: a line of a log file`, 24_000));
  await writeFile(join(src, 'docs', 'small.txt'), text('small'));
  await writeFile(join(src, 'docs', 'gone.txt'), text('gone tomorrow'));
  // 16 MiB or more: a large file, with a block list (BLOCKS), stored as its changed blocks when changed in place.
  await writeFile(join(src, 'big.bin'), Buffer.alloc(BIG, 3));
  plain = await labelledDrive(sb, 'A');
  const edits: (() => Promise<void>)[] = [
    async () => {},
    async () => {
      await writeFile(join(src, 'docs', 'small.txt'), text('small, edited'));
      await writeFile(join(src, 'docs', 'gone.txt'), '');
    },
    async () => {
      // b.log changed in place (same size): stored as its changed blocks (BLOCKS, a delta).
      const fh = await open(join(src, 'b.log'), 'r+');
      await fh.write(Buffer.from('CHANGED'), 0, 7, 300_000);
      await fh.close();
      const big = await open(join(src, 'big.bin'), 'r+');
      await big.write(Buffer.alloc(4096, 9), 0, 4096, 5 * 1024 * 1024 + 100);
      await big.close();
      await writeFile(join(src, 'docs', 'new.txt'), text('new on day 2'));
    },
  ];
  for (const [n, edit] of edits.entries()) {
    await edit();
    const r = await runChecked(sb, ['backup', '--drive', 'A', '--source', src, '--format', '2', '--part-size', '1M', '--no-prune', '--json'],
      { AIRGAP_NOW: new Date(Date.UTC(2026, 3, 1 + n, 9)).toISOString() });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    ids.push((JSON.parse(r.stdout) as { snapshot: string }).snapshot);
  }
  key = await newKey();
  sealed = join(sb.dir, 'sealed');
  await cp(plain, sealed, { recursive: true });
  let sums: string | undefined;
  for (const id of ids) sums = await encryptSnapshot(join(sealed, 'airgap', id), id, [key.recipient], sums);
}, 120_000);

afterEach(() => useKey(undefined));
afterAll(() => sb.cleanup());

describe('encrypted snapshots: verify', () => {
  it('are laid out as the design says', async () => {
    const day2 = JSON.parse(await readFile(join(plain, 'airgap', ids[2]!, 'snapshot.json'), 'utf8')) as { delta?: { files: number } };
    expect(day2.delta?.files).toBe(1); // big.bin, as its changed blocks
    expect(await readdir(join(sealed, 'airgap', ids[0]!))).toContain('BLOCKS.age');
    const names = await readdir(join(sealed, 'airgap', ids[0]!));
    expect(names.filter((n) => n.startsWith(`${ids[0]}.tar.age.`)).length).toBeGreaterThanOrEqual(2);
    expect(names).toEqual(expect.arrayContaining(['MANIFEST.tsv.gz.age', 'FILES.sha256.gz.age', 'REMOVE.nul.age', 'snapshot.json.age', 'snapshot.json', 'RESTORE.txt', 'SHA256SUMS']));
    expect(names.some((n) => n === 'MANIFEST.tsv.gz' || n.endsWith('.tar.000'))).toBe(false);
  });

  it('plain verify passes without any key, and finds a flipped byte', async () => {
    for (const id of ids) {
      const r = await verifySnapshot(folder(sealed, id), { deep: false });
      expect(r.findings.filter((f) => f.severity === 'damage'), id).toEqual([]);
      expect(r.status).toBe('ok');
    }
    const copy = await copyOfSealed('flipped-plain');
    await flipByte(join(copy, 'airgap', ids[0]!, partName(ids[0]!, 1, true)), 5000);
    const r = await verifySnapshot(folder(copy, ids[0]!), { deep: false });
    expect(r.status).toBe('damaged');
    expect(r.findings.map((f) => f.code)).toContain('checksum-mismatch');
  });

  it('deep verify decrypts every member with the key, and names the damage', async () => {
    useKey(key);
    for (const id of ids) {
      const r = await verifySnapshot(folder(sealed, id), { deep: true });
      expect(r.findings.filter((f) => f.severity === 'damage'), id).toEqual([]);
      expect(r.membersChecked, id).toBeGreaterThan(0);
    }
    const copy = await copyOfSealed('flipped-deep');
    await flipByte(join(copy, 'airgap', ids[0]!, partName(ids[0]!, 1, true)), 5000);
    const r = await verifySnapshot(folder(copy, ids[0]!), { deep: true });
    expect(r.status).toBe('damaged');
    expect(r.findings.map((f) => f.code)).toContain('tarball-damaged');
  });

  it('sample verify reads members at their offsets through the age chunks', async () => {
    useKey(key);
    const r = await verifySnapshot(folder(sealed, ids[2]!), { deep: false, sample: 100 });
    expect(r.findings.filter((f) => f.severity === 'damage')).toEqual([]);
    expect(r.sampled?.members).toBeGreaterThan(0);
  });

  it('a wrong key is a refusal (exit 4), not damage; no key is a usage error', async () => {
    useKey(await newKey());
    const wrong = await verifySnapshot(folder(sealed, ids[1]!), { deep: true }).catch((e: unknown) => e);
    expect(wrong).toBeInstanceOf(AgeWrongKeyError);
    expect((wrong as AgeWrongKeyError).exitCode).toBe(EXIT.refused);
    useKey(undefined);
    const none = await verifySnapshot(folder(sealed, ids[1]!), { deep: true }).catch((e: unknown) => e);
    expect((none as { code?: string }).code).toBe('key-needed');
    expect((none as { exitCode?: number }).exitCode).toBe(EXIT.usage);
    const sampled = await verifySnapshot(folder(sealed, ids[1]!), { deep: false, sample: 50 }).catch((e: unknown) => e);
    expect((sampled as { code?: string }).code).toBe('key-needed');
  });

  it('snapshot.json.age holds the private fields, and must agree with the plain one', async () => {
    useKey(key);
    const f = folder(sealed, ids[0]!);
    const outside = await readSnapshotMeta(f);
    expect(outside.sources).toEqual([]);
    expect(outside.encryption?.recipients).toEqual([key.recipient]);
    const whole = await readFullSnapshotMeta(f);
    expect(whole.sources.length).toBeGreaterThan(0);
    const copy = await copyOfSealed('meta-swapped');
    // Another snapshot's sealed snapshot.json in its place: damage, not trusted.
    await cp(join(copy, 'airgap', ids[1]!, 'snapshot.json.age'), join(copy, 'airgap', ids[0]!, 'snapshot.json.age'));
    await expect(readFullSnapshotMeta(folder(copy, ids[0]!))).rejects.toMatchObject({ code: 'meta-mismatch', exitCode: EXIT.damaged });
  });
});

describe('encrypted snapshots: restore', () => {
  const restore = (root: string, id: string, target: string, paths: string[] = []) => restoreSnapshot({
    snapshot: folder(root, id), target, paths, overwrite: false, salvage: false, dryRun: false, keepSpecialBits: false, owners: false, driveName: 'A',
  });

  it('the newest and an older snapshot of the chain restore to the plain drive\'s tree', async () => {
    useKey(key);
    for (const id of [ids[2]!, ids[1]!]) {
      const a = join(sb.dir, 'out', `plain-${id}`);
      const b = join(sb.dir, 'out', `sealed-${id}`);
      await restore(plain, id, a);
      const r = await restore(sealed, id, b);
      expect(r.verified).toBe('ok');
      expect(await readTree(b, { dirMtimes: true }), id).toEqual(await readTree(a, { dirMtimes: true }));
    }
  });

  it('one named file restores at its offset (carried from the full, and the increment\'s own)', async () => {
    useKey(key);
    for (const path of ['data/a.log', 'data/b.log', 'data/docs/small.txt']) {
      const a = join(sb.dir, 'one', `plain-${path.replace(/\//g, '_')}`);
      const b = join(sb.dir, 'one', `sealed-${path.replace(/\//g, '_')}`);
      await restore(plain, ids[2]!, a, [path]);
      await restore(sealed, ids[2]!, b, [path]);
      expect(await readTree(b), path).toEqual(await readTree(a));
    }
  });

  it('without a key the restore is refused as key-needed; a wrong key as a refusal', async () => {
    const none = await restore(sealed, ids[2]!, join(sb.dir, 'out', 'nokey')).catch((e: unknown) => e);
    expect((none as { code?: string }).code).toBe('key-needed');
    useKey(await newKey());
    const wrong = await restore(sealed, ids[2]!, join(sb.dir, 'out', 'wrongkey')).catch((e: unknown) => e);
    expect(wrong).toBeInstanceOf(AgeWrongKeyError);
  });
});

describe('encrypted snapshots: one member at its offset', () => {
  it('reads only the age chunks holding the member: every other byte of the parts may be garbage', async () => {
    useKey(key);
    const id = ids[0]!;
    const manifest = await readManifestV2(join(plain, 'airgap', id));
    const line = manifest.split('\n').find((l) => l.includes('\tdata/b.log\t'))!.split('\t');
    const offset = Number(line[10]);
    const size = text('b: a line of a log file', 24_000).length;
    const copy = await copyOfSealed('garbage');
    const dir = join(copy, 'airgap', id);
    const files = (await readdir(dir)).filter((n) => n.startsWith(`${id}.tar.age.`)).sort().map((n) => join(dir, n));
    // Where the member's chunks lie in the joined age file (header + nonce first).
    const whole = Buffer.concat(await Promise.all(files.map((f) => readFile(f))));
    const start = whole.indexOf('\n---') + whole.subarray(whole.indexOf('\n---') + 1).indexOf('\n') + 2 + 16;
    const first = Math.floor(offset / CHUNK);
    const last = Math.floor((offset + 512 + size - 1) / CHUNK); // a ustar header, no pax
    const keep = [start + first * SEALED, Math.min(whole.length, start + (last + 1) * SEALED)];
    for (let i = start; i < whole.length; i++) if (i < keep[0]! || i >= keep[1]!) whole[i] = 0x5a;
    let at = 0;
    for (const f of files) {
      const n = (await stat(f)).size;
      await writeFile(f, whole.subarray(at, at + n));
      at += n;
    }
    const got: Buffer[] = [];
    const entry = await readMemberAt({ files, encrypted: true }, offset, (c) => got.push(Buffer.from(c)));
    expect(entry.path).toBe('data/b.log');
    expect(Buffer.concat(got).toString()).toBe(text('b: a line of a log file', 24_000));
    // And a member elsewhere now fails as damage, which it is.
    await expect(readMemberAt({ files, encrypted: true }, 0, () => {})).rejects.toMatchObject({ exitCode: EXIT.damaged });
  });
});

describe('encrypted snapshots: the next increment builds on an encrypted base', () => {
  const start = async (root: string) => {
    const scan = await scanSources([{ path: src, root: 'data' }], { excludes: [] });
    return startChain({ contents: await readDriveContents(join(root, 'airgap')), entries: scan.entries, policy: DEFAULT_CHAIN_POLICY });
  };

  it('reads the base\'s manifest and REMOVE.nul through the key, as the plain chain does', async () => {
    await writeFile(join(src, 'docs', 'later.txt'), text('after the last backup'));
    useKey(key);
    const fromPlain = await start(plain);
    const fromSealed = await start(sealed);
    expect(fromPlain.next.kind).toBe('incremental');
    expect(fromSealed.next).toEqual(fromPlain.next);
    expect(fromSealed.removal).toEqual(fromPlain.removal);
    // The block lists the next increment's deltas are made from: BLOCKS.age, decrypted.
    const lists = (root: string) => new ChainBlockLists(join(root, 'airgap')).get(ids[0]!, 0, BIG);
    const fromPlainBlocks = await lists(plain);
    expect(fromPlainBlocks?.length).toBe(17 * 32);
    expect(await lists(sealed)).toEqual(fromPlainBlocks);
    useKey(undefined);
    await expect(start(sealed)).rejects.toMatchObject({ code: 'key-needed' });
  });
});

describe('encrypted snapshots: damage found while restoring, and find', () => {
  const restore = (root: string, id: string, target: string, paths: string[] = []) => restoreSnapshot({
    snapshot: folder(root, id), target, paths, overwrite: false, salvage: true, dryRun: false, keepSpecialBits: false, owners: false, driveName: 'A',
  });

  it('a changed byte in the tarball is a break at its plaintext offset (--salvage keeps what came before)', async () => {
    useKey(key);
    const copy = await copyOfSealed('broken-restore');
    // Part 1 starts at ciphertext byte 1 MiB: its chunk holds plaintext past the first member (a.log).
    await flipByte(join(copy, 'airgap', ids[0]!, partName(ids[0]!, 1, true)), 5000);
    const r = await restore(copy, ids[0]!, join(sb.dir, 'out', 'salvaged'));
    expect(r.verified).toBe('damaged');
    expect(r.report?.brokenAt?.message).toMatch(/encrypted tarball is damaged at byte \d+ of its contents: .*chunk \d+/);
    expect(r.report!.brokenAt!.offset % CHUNK).toBe(0);
    expect(await readFile(join(sb.dir, 'out', 'salvaged', 'data', 'a.log'), 'utf8')).toBe(text('a: a line of a log file', 24_000));
    // One file at its offset whose chunk is damaged: named as damaged, never a crash or a refusal.
    const one = await restore(copy, ids[0]!, join(sb.dir, 'out', 'salvaged-one'), ['data/b.log']);
    expect([...one.report!.damaged, ...one.report!.missing].map((i) => i.reason).join('\n')).toMatch(/chunk \d+ .*fails authentication/);
  });

  it('a manifest that matches SHA256SUMS but does not decrypt (forged and re-signed) is manifest-invalid', async () => {
    useKey(key);
    const copy = await copyOfSealed('manifest-forged');
    const dir = join(copy, 'airgap', ids[2]!);
    const m = await readFile(join(dir, 'MANIFEST.tsv.gz.age'));
    m[m.length - 5]! ^= 1;
    await writeFile(join(dir, 'MANIFEST.tsv.gz.age'), m);
    await reSum(dir);
    await expect(restore(copy, ids[2]!, join(sb.dir, 'out', 'forged'))).rejects.toMatchObject({ code: 'manifest-invalid', exitCode: EXIT.damaged });
  });

  it('--salvage with a damaged plain snapshot.json still knows the snapshot is encrypted (by SHA256SUMS\'s names)', async () => {
    useKey(key);
    const copy = await copyOfSealed('meta-broken');
    await writeFile(join(copy, 'airgap', ids[0]!, 'snapshot.json'), '{ not json');
    const r = await restore(copy, ids[0]!, join(sb.dir, 'out', 'meta-broken'));
    expect(r.verified).toBe('damaged');
    expect(r.report?.brokenAt).toBeUndefined();
    expect(await readFile(join(sb.dir, 'out', 'meta-broken', 'data', 'c.log'), 'utf8')).toBe(text('c: a line of a log file', 24_000));
  });

  it('find reads the encrypted manifests with the key, and needs one', async () => {
    useKey(key);
    const snaps = ids.map((id) => folder(sealed, id));
    const found = await findInSnapshots(snaps, 'data/docs/*');
    expect(found.unreadable).toEqual([]);
    const plainFound = await findInSnapshots(ids.map((id) => folder(plain, id)), 'data/docs/*');
    expect(found.found).toEqual(plainFound.found);
    useKey(undefined);
    await expect(findInSnapshots(snaps, 'data/docs/*')).rejects.toMatchObject({ code: 'key-needed' });
  });

  it('the gate compares with an encrypted snapshot through the key; without one it is no basis (the sources are sealed)', async () => {
    useKey(key);
    const all = async (it: AsyncIterable<unknown>) => { const out: unknown[] = []; for await (const x of it) out.push(x); return out; };
    expect(await all(manifestListing(folder(sealed, ids[2]!)))).toEqual(await all(manifestListing(folder(plain, ids[2]!))));
    const candidates = ids.map((id) => folder(sealed, id));
    expect((await sameSourcesSnapshot(candidates, [src]))?.id).toBe(ids[2]);
    useKey(undefined);
    expect(await sameSourcesSnapshot(candidates, [src])).toBeUndefined();
  });
});

describe('encrypted snapshots: the built CLI, with no key given', () => {
  it('airgap verify checks an encrypted drive without any key; --deep asks for one (usage, key-needed)', async () => {
    const plainRun = await runChecked(sb, ['verify', sealed, '--json']);
    expect(plainRun.code, plainRun.stdout + plainRun.stderr).toBe(EXIT.ok);
    const deepRun = await runChecked(sb, ['verify', sealed, '--deep']);
    expect(deepRun.code, deepRun.stdout + deepRun.stderr).toBe(EXIT.usage);
    expect(deepRun.stderr).toMatch(/encrypted, and no key or passphrase was given/);
  });
});

describe('encrypted snapshots: what plain and deep verify refuse', () => {
  it('SHA256SUMS must cover snapshot.json.age; the plain snapshot.json must say it is encrypted; deep: snapshot.json.age must agree', async () => {
    const copy = await copyOfSealed('coverage');
    const dir = join(copy, 'airgap', ids[1]!);
    const sums = await readFile(join(dir, 'SHA256SUMS'), 'utf8');
    await writeFile(join(dir, 'SHA256SUMS'), sums.split('\n').filter((l) => !l.endsWith('  snapshot.json.age')).join('\n'));
    const r = await verifySnapshot(folder(copy, ids[1]!), { deep: false });
    expect(r.findings.map((f) => `${f.code} ${f.file}`)).toContain('not-covered snapshot.json.age');

    const copy2 = await copyOfSealed('claims');
    const dir2 = join(copy2, 'airgap', ids[1]!);
    const meta = JSON.parse(await readFile(join(dir2, 'snapshot.json'), 'utf8'));
    delete meta.encryption;
    await writeFile(join(dir2, 'snapshot.json'), JSON.stringify(meta));
    await reSum(dir2);
    const r2 = await verifySnapshot(folder(copy2, ids[1]!), { deep: false });
    expect(r2.findings.map((f) => f.code)).toContain('meta-mismatch');

    useKey(key);
    const copy3 = await copyOfSealed('swapped');
    const dir3 = join(copy3, 'airgap', ids[1]!);
    await cp(join(copy3, 'airgap', ids[2]!, 'snapshot.json.age'), join(dir3, 'snapshot.json.age'));
    await reSum(dir3);
    const r3 = await verifySnapshot(folder(copy3, ids[1]!), { deep: true });
    expect(r3.findings.map((f) => `${f.code} ${f.file}`)).toContain('meta-mismatch snapshot.json.age');
  });
});

/** Rewrites a snapshot's SHA256SUMS over its files as they are now (a forger with write access). */
async function reSum(dir: string): Promise<void> {
  const lines = (await readFile(join(dir, 'SHA256SUMS'), 'utf8')).split('\n').filter(Boolean);
  const out = await Promise.all(lines.map(async (l) => `${createHash('sha256').update(await readFile(join(dir, l.slice(66)))).digest('hex')}  ${l.slice(66)}`));
  await writeFile(join(dir, 'SHA256SUMS'), out.join('\n') + '\n');
}
