// A stand-in `notify-send` on PATH for tests of remind and watch: each call leaves one file in
// `calls`, its arguments NUL-terminated (a body of several lines stays one argument).
import { chmod, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

const SCRIPT = '#!/bin/sh\nf=$(mktemp "$NOTIFY_CALLS/call.XXXXXX")\nprintf \'%s\\0\' "$@" > "$f"\n';

/** Writes (or writes again, after a test replaced it) the recording notify-send into `bin`. */
export async function writeFakeNotifySend(bin: string): Promise<void> {
  await writeFile(join(bin, 'notify-send'), SCRIPT);
  await chmod(join(bin, 'notify-send'), 0o755);
}

/** Makes `bin` and `calls` in `dir`, with the fake in `bin`; the caller puts `bin` first on PATH and sets NOTIFY_CALLS. */
export async function fakeNotifier(dir: string): Promise<{ bin: string; calls: string }> {
  const bin = join(dir, 'bin');
  const calls = join(dir, 'calls');
  await mkdir(bin);
  await mkdir(calls);
  await writeFakeNotifySend(bin);
  return { bin, calls };
}

/** Every call's arguments, in the order made. */
export async function notifyCalls(calls: string): Promise<string[][]> {
  const files = (await readdir(calls)).sort();
  return Promise.all(files.map(async (f) => (await readFile(join(calls, f), 'utf8')).split('\0').slice(0, -1)));
}
