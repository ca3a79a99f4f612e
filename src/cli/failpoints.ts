// The fault suite's crash points (test/faults), from the environment: a hard kill at a named
// step, like a power cut, or a stop (SIGSTOP) so that the test can fill or pull the drive at that
// exact step. Installed by main() and by the job thread (each thread has its own handler; a kill
// or a stop from either ends or stops the whole process).
import { failpointFromSpec, setFailpointHandler } from '../io/failpoint.js';

export function installFailpoints(env: NodeJS.ProcessEnv = process.env): void {
  const signal = env.AIRGAP_FAILPOINT_ACTION === 'stop' ? 'SIGSTOP' : 'SIGKILL';
  setFailpointHandler(failpointFromSpec(env.AIRGAP_FAILPOINT, () => process.kill(process.pid, signal)));
}
