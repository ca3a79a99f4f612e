// Throughput of our age payload (src/crypto, node:crypto ChaCha20-Poly1305 in 64 KiB STREAM
// chunks) against the stock age CLI, on zero-filled input: a figure, not a test.
//   npm run build && node bench/age-stream.mjs [MiB, default 1024]
// Encryption: our sealer in-process; our encryptStream piped to /dev/null; `age -e -r` fed by
// `head -c N /dev/zero`. Decryption: our opener in-process and our decryptStream over an
// in-memory file; `age -d` of the same file from the page cache (the file is at most 256 MiB,
// opened as often as needed to reach N).
import { spawnSync } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { beginEncryption, decryptStream, encryptStream } from '../dist/crypto/age-file.js';
import { headerLength, openHeader } from '../dist/crypto/age-header.js';
import { generateKeyPair, keyFileText } from '../dist/crypto/age-keys.js';
import { NONCE, PayloadOpener, payloadKey } from '../dist/crypto/age-stream.js';

const MiB = 1 << 20;
const total = Number(process.argv[2] ?? 1024);
const zeros = Buffer.alloc(MiB);
const kp = await generateKeyPair();
const to = [{ kind: 'key', recipient: kp.recipient }];
const rate = (ms, mib = total) => `${(mib / (ms / 1000)).toFixed(0)} MiB/s (${(ms / 1000).toFixed(2)} s)`;
const time = async (f) => { const t = performance.now(); await f(); return performance.now() - t; };

console.log(`age payload throughput, ${total} MiB of zeros, node ${process.version}, load ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);

const sealerMs = await time(async () => {
  const { sealer } = await beginEncryption(to);
  for (let i = 0; i < total; i++) sealer.push(zeros);
  sealer.end();
});
console.log(`encrypt  ours, PayloadSealer in-process      ${rate(sealerMs)}`);

const streamMs = await time(async () => {
  async function* source() { for (let i = 0; i < total; i++) yield zeros; }
  await pipeline(Readable.from(source()), await encryptStream(to), createWriteStream('/dev/null'));
});
console.log(`encrypt  ours, encryptStream → /dev/null      ${rate(streamMs)}`);

let ageEnc;
const ageEncMs = await time(async () => { ageEnc = spawnSync('bash', ['-c', `set -o pipefail; head -c ${total * MiB} /dev/zero | age -e -r ${kp.recipient} > /dev/null`]); });
console.log(`encrypt  age ${spawnSync('age', ['--version']).stdout.toString().trim()} -e (head -c | age -e)       ${ageEnc.status === 0 ? rate(ageEncMs) : `failed: ${ageEnc.stderr}`}`);

// Decryption: one file of at most 256 MiB, opened as often as needed for `total` MiB.
const fileMiB = Math.min(total, 256);
const rounds = Math.ceil(total / fileMiB);
const { prefix, sealer } = await beginEncryption(to);
const parts = [prefix];
for (let i = 0; i < fileMiB; i++) parts.push(...sealer.push(zeros));
parts.push(...sealer.end());
const file = Buffer.concat(parts);
const h = headerLength(file);
const decMs = await time(async () => {
  for (let r = 0; r < rounds; r++) {
    const fileKey = await openHeader(file.subarray(0, h), [{ kind: 'key', identity: kp.identity }]);
    const opener = new PayloadOpener(payloadKey(fileKey, file.subarray(h, h + NONCE)));
    for (let off = h + NONCE; off < file.length; off += MiB) opener.push(file.subarray(off, Math.min(off + MiB, file.length)), () => {});
    opener.end(() => {});
  }
});
console.log(`decrypt  ours, PayloadOpener in-process      ${rate(decMs, rounds * fileMiB)}`);

const decStreamMs = await time(async () => {
  async function* source() { for (let off = 0; off < file.length; off += MiB) yield file.subarray(off, Math.min(off + MiB, file.length)); }
  for (let r = 0; r < rounds; r++) await pipeline(Readable.from(source()), decryptStream([{ kind: 'key', identity: kp.identity }]), createWriteStream('/dev/null'));
});
console.log(`decrypt  ours, decryptStream → /dev/null      ${rate(decStreamMs, rounds * fileMiB)}`);

const dir = await mkdtemp(join(tmpdir(), 'age-bench-'));
try {
  await writeFile(join(dir, 'f.age'), file);
  await writeFile(join(dir, 'key.txt'), keyFileText(kp, new Date()));
  const cmd = Array.from({ length: rounds }, () => `age -d -i ${join(dir, 'key.txt')} ${join(dir, 'f.age')} > /dev/null`).join(' && ');
  spawnSync('cat', [join(dir, 'f.age')], { stdio: 'ignore' }); // into the page cache first
  const ageDecMs = await time(async () => spawnSync('sh', ['-c', cmd]));
  console.log(`decrypt  age -d (of our file, page-cached)    ${rate(ageDecMs, rounds * fileMiB)}`);
} finally {
  await rm(dir, { recursive: true, force: true });
}
