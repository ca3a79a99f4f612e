// The fault suite's crash points (test/faults), from the environment: a hard kill at a named
// step, like a power cut, or a stop (SIGSTOP) so that the test can fill or pull the drive at that
// exact step. Installed by main() and by the job thread (each thread has its own handler; a kill
// or a stop from either ends or stops the whole process).
import { readlinkSync } from 'node:fs';
import { failpointFromSpec, setFailpointHandler } from '../io/failpoint.js';

export function installFailpoints(env: NodeJS.ProcessEnv = process.env): void {
  const signal = env.AIRGAP_FAILPOINT_ACTION === 'stop' ? 'SIGSTOP' : 'SIGKILL';
  setFailpointHandler(failpointFromSpec(env.AIRGAP_FAILPOINT, () => process.kill(callingThread(), signal)));
}

/**
 * Whom to signal so that the thread at the failpoint stops before its next step. Signalled by
 * process id, Linux hands SIGSTOP to the main thread, which starts the stop only once it is
 * scheduled: meanwhile a job thread went on past its failpoint (measured: the SHA256SUMS of
 * `write:meta-written` created before the stop, 5 times in 40). Signalled by the calling
 * thread's own id (/proc/thread-self), it is still the whole process that stops (or dies), but
 * that thread takes the signal itself as its kill() returns: 0 in 150. Elsewhere: the process.
 */
function callingThread(): number {
  try {
    return Number(readlinkSync('/proc/thread-self').split('/').pop()) || process.pid;
  } catch {
    return process.pid;
  }
}
