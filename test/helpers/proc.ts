// What /proc says about a process the tests froze at a stop failpoint (AIRGAP_FAILPOINT_ACTION=stop).
import { readdirSync, readFileSync } from 'node:fs';

/** The state letter of a /proc stat line (R, S, D, T, t, Z…): the field after the command's ')'. */
const stateOf = (stat: string) => stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);

/** The state letter of the process, or undefined once the pid is gone. */
export function procState(pid: number): string | undefined {
  try {
    return stateOf(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
}

/** True when every thread of the process is stopped (SIGSTOP): no write is still in flight. */
export function allThreadsStopped(pid: number): boolean {
  const tasks = readdirSync(`/proc/${pid}/task`);
  return tasks.length > 0 && tasks.every((t) => {
    const state = stateOf(readFileSync(`/proc/${pid}/task/${t}/stat`, 'utf8'));
    return state === 'T' || state === 't';
  });
}
