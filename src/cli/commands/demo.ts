// `airgap demo`: the main job end to end on simulated drives in a temporary folder, printed as
// the commands a person would type and what they would see. Uses the real commands (run()).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmod, mkdir, mkdtemp, open, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXIT } from '../../core/errors.js';
import { memberDataOffset } from '../../layout/tar-reader.js';
import type { Context } from '../context.js';
import { run } from '../main.js';

export async function demoCommand(ctx: Context, flags: { clean?: boolean }): Promise<number> {
  const base = await mkdtemp(join(tmpdir(), 'airgap-demo-'));
  const say = (s = '') => ctx.stdout.write(s + '\n');
  const docs = join(base, 'home', 'Documents');
  await makeSampleFiles(docs);
  for (const d of ['A', 'B', 'C']) await mkdir(join(base, 'drives', d), { recursive: true });
  const env = {
    ...process.env,
    AIRGAP_STATE_DIR: join(base, 'state'),
    AIRGAP_CONFIG: join(base, 'config.json'),
    AIRGAP_DRIVES_ROOT: join(base, 'drives'),
  };
  const airgap = async (...args: string[]) => {
    say(`$ airgap ${args.map((a) => (/[\s'"]/.test(a) ? JSON.stringify(a) : a)).join(' ')}`);
    const code = await run(args, { env, stdout: ctx.stdout, stderr: ctx.stdout, interactive: false, progress: false });
    say(code === 0 ? '' : `(exit code ${code})\n`);
    return code;
  };

  say(`airgap demo — everything happens in ${base}`);
  say(`Three simulated drives A, B and C are folders in ${join(base, 'drives')}; the files to protect are in ${docs}.\n`);
  say('1. Say what to protect and which drives rotate:');
  await airgap('init', '--source', docs, '--drives', 'A,B,C', '--cadence', 'weekly', '--yes');
  say('2. "Plug in" drive A and label it (this only adds an airgap/ folder to it):');
  await airgap('label', join(base, 'drives', 'A'), '--name', 'A', '--yes');
  say('3. Which drive is due today, and what must stay offline?');
  await airgap('plan');
  say("4. Write today's snapshot onto the due drive:");
  if ((await airgap('backup')) !== 0) return EXIT.internal;
  say('5. See what A holds:');
  await airgap('list', 'A');
  say('6. Verify it, offline, as you would after bringing A back from the office:');
  if ((await airgap('verify', 'A')) !== 0) return EXIT.internal;

  const snapDir = join(base, 'drives', 'A', 'airgap', (await readdir(join(base, 'drives', 'A', 'airgap'))).find((n) => /^\d{4}-/.test(n))!);
  say('7. Later you edit a note and back up onto A again: only what changed is stored (an increment),');
  say('   the rest is carried from the snapshot before it, and A keeps both days (history):');
  await writeFile(join(docs, 'notes.txt'), 'Sync is not backup.\nKeep one drive offline, one offsite.\nCheck the offsite drive every quarter.\n');
  if ((await airgap('backup', '--drive', 'A')) !== 0) return EXIT.internal;
  await airgap('list', 'A');
  say('8. No airgap needed to check it, only stock tools (each snapshot\'s RESTORE.txt says how to restore it):');
  say(`$ cd ${snapDir} && sha256sum -c SHA256SUMS`);
  try {
    say(execFileSync('sha256sum', ['-c', 'SHA256SUMS'], { cwd: snapDir, encoding: 'utf8' }));
  } catch {
    say('(sha256sum is not installed here; on macOS use: shasum -a 256 -c SHA256SUMS)\n');
  }

  say('9. Get the files back (verified first, every file checked as it is written):');
  await airgap('restore', 'A', '--to', join(base, 'restored'));
  say('10. Ten years later one bit on the drive has rotted. Flip one byte inside a photo and verify deeply:');
  const tar = join(snapDir, (await readdir(snapDir)).find((n) => n.endsWith('.tar'))!);
  const offset = memberDataOffset(await readFile(tar), 'Documents/Photos/beach.raw');
  const fh = await open(tar, 'r+');
  const b = Buffer.alloc(1);
  await fh.read(b, 0, 1, offset + 1000);
  b[0]! ^= 0xff;
  await fh.write(b, 0, 1, offset + 1000);
  await fh.close();
  const code = await airgap('verify', 'A', '--deep');
  say(code === EXIT.damaged
    ? 'airgap names the damaged file, and the later snapshot that builds on it, so you know exactly\nwhat to take from drive B or C instead.\n'
    : 'unexpected: the damage was not detected\n');
  say('11. The rotation ahead, to print and pin up (also as HTML or a calendar file):');
  await airgap('schedule', '--weeks', '6');
  say(flags.clean ? 'Removing the demo folder.' : `The demo folder stays for you to explore: ${base}\n(remove it with: rm -rf ${base})`);
  if (flags.clean) await rm(base, { recursive: true, force: true });
  return code === EXIT.damaged ? EXIT.ok : EXIT.internal;
}

async function makeSampleFiles(docs: string): Promise<void> {
  await mkdir(join(docs, 'Taxes 2026'), { recursive: true });
  await mkdir(join(docs, 'Photos'), { recursive: true });
  await mkdir(join(docs, 'Empty folder'), { recursive: true });
  await writeFile(join(docs, 'notes.txt'), 'Sync is not backup.\nKeep one drive offline, one offsite.\n');
  await writeFile(join(docs, 'Taxes 2026', 'reçu n°12 — café.txt'), 'total: 3,80 €\n');
  await writeFile(join(docs, 'backup.sh'), '#!/bin/sh\nairgap backup --drive A\n');
  await chmod(join(docs, 'backup.sh'), 0o755);
  await symlink('notes.txt', join(docs, 'latest-notes'));
  // Deterministic "photos": incompressible bytes from a hash chain.
  for (const [name, size] of [['beach.raw', 3 << 20], ['family.raw', 2 << 20]] as const) {
    const chunks: Buffer[] = [];
    let h = Buffer.from(name);
    for (let n = 0; n < size; n += 32) chunks.push((h = createHash('sha256').update(h).digest()));
    await writeFile(join(docs, 'Photos', name), Buffer.concat(chunks).subarray(0, size));
  }
}
