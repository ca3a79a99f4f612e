// The job thread's script (io/job-thread.ts): runs one of the heavy jobs (backup, verify,
// restore) for the main thread, which keeps the command line, the progress line, Ctrl+C and the
// output (cli/job-in-thread.ts). The job's notes and warnings, progress and Ctrl+C cross the
// thread boundary as messages; so does its result or error (our own with its exit code intact).
import { serveJob, type JobPort } from '../io/job-thread.js';
import { backup, type BackupOptions } from '../jobs/backup.js';
import { restore, type RestoreOptions, type RestoreRun } from '../jobs/restore.js';
import { restoreFromAny } from '../jobs/restore-any.js';
import { Session, type Environment } from '../jobs/session.js';
import { verify, type VerifyOptions } from '../jobs/verify.js';
import { asAirgapError } from './exit.js';
import { installFailpoints } from './failpoints.js';
import type { JobInput, JobMessage, RestoreEvent } from './job-in-thread.js';

installFailpoints();

/** The caller's session, continued here: the same environment, the same `now`, its log relayed. */
function sessionIn(input: JobInput<unknown>, port: JobPort): Session {
  const { fixedNow, ...env } = input.env;
  const clock = fixedNow ? () => new Date(fixedNow) : () => new Date();
  const log = (level: 'note' | 'warn' | 'line') => (text: string) => port.post({ type: 'log', level, text } satisfies JobMessage);
  return new Session({ ...env, clock } as Environment, { note: log('note'), warn: log('warn'), line: log('line') }, new Date(input.now));
}

const event = (port: JobPort) => (e: unknown, coalesce = false) => port.post({ type: 'event', event: e } satisfies JobMessage, coalesce);

await serveJob({
  verify: (input: JobInput<{ spec: string; opts: VerifyOptions }>, port) =>
    verify(sessionIn(input, port), input.args.spec, input.args.opts, (e) => event(port)(e, e.type === 'bytes')),
  // No drive named: --from-any (jobs/restore-any.ts) chooses it among the connected drives.
  restore: (input: JobInput<{ spec?: string; paths: string[]; opts: RestoreOptions }>, port) => {
    const s = sessionIn(input, port);
    const run: RestoreRun = {
      signal: port.signal,
      onStart: (snapshot, drive) => event(port)({ type: 'start', snapshot, drive } satisfies RestoreEvent),
      onFile: (files, bytes, snapshot) => event(port)({ type: 'file', files, bytes, snapshot } satisfies RestoreEvent, true),
    };
    const { spec, paths, opts } = input.args;
    return spec === undefined ? restoreFromAny(s, paths, opts, run) : restore(s, spec, paths, opts, run);
  },
  backup: (input: JobInput<{ opts: BackupOptions }>, port) =>
    backup(sessionIn(input, port), input.args.opts, { signal: port.signal, onEvent: (e) => event(port)(e, e.type === 'writing') }),
}, (e) => asAirgapError(e) ?? e);
