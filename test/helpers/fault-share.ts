// How many of the power-cut and kill trials (test/faults) a run takes. They are about a quarter
// of the suite's time (12 of ~23 min here), and CI runs the suite on three Node versions within
// a time limit. So CI's second and third runs take a share of the trials
// (AIRGAP_FAULT_SHARE, between 0 and 1) with their own salt (AIRGAP_FAULT_SALT): every kind of
// trial still runs on every version, but each version draws a different evenly spaced subset and
// different random cut points, so the three runs together try about as many distinct trials as
// one full run. A run without these variables (npm test, npm run test:faults) takes every trial.
const rawShare = process.env.AIRGAP_FAULT_SHARE;
const share = rawShare === undefined || rawShare === '' ? 1 : Number(rawShare);
if (!(share > 0 && share <= 1)) throw new Error(`AIRGAP_FAULT_SHARE must be a number in (0, 1], not ${JSON.stringify(rawShare)}`);

/** The share of trials this run takes (1 unless AIRGAP_FAULT_SHARE says less). */
export const FAULT_SHARE = share;
export const FAULT_SALT = process.env.AIRGAP_FAULT_SALT ?? '';

/** FNV-1a of the salt: the same salt always draws the same trials. */
function saltHash(): number {
  let h = 0x811c9dc5;
  for (const ch of FAULT_SALT) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0;
  return FAULT_SALT ? h : 0;
}

/**
 * The seed a suite uses: the one given in its own variable (a replay), else its default mixed
 * with the salt, so that each salted run draws other random cut points.
 */
export function faultSeed(given: string | undefined, byDefault: number): number {
  if (given !== undefined && given !== '') return Number(given) >>> 0;
  return (byDefault ^ saltHash()) >>> 0;
}

/** A minimum count (of trials, of kills that landed mid-write…) scaled to this run's share. */
export function shareCount(n: number): number {
  return Math.max(1, Math.round(n * share));
}

/**
 * This run's share of the trials: within each kind (as `kindOf` names it), an evenly spaced
 * subset starting at a salt-dependent offset, and at least one trial of every kind. Returns the
 * trials with their index in the full list, so that a printed trial number replays the same
 * trial whatever the share.
 */
export function shareOf<T>(all: readonly T[], kindOf: (t: T) => string): { trial: T; index: number }[] {
  const indexed = all.map((trial, index) => ({ trial, index }));
  if (share >= 1) return indexed;
  const byKind = new Map<string, { trial: T; index: number }[]>();
  for (const t of indexed) {
    const k = kindOf(t.trial);
    byKind.set(k, [...(byKind.get(k) ?? []), t]);
  }
  const offset = (saltHash() % 997) / 997; // where in each stride the pick falls
  const kept = new Set<number>();
  for (const group of byKind.values()) {
    const want = Math.max(1, Math.round(group.length * share));
    const stride = group.length / want;
    for (let j = 0; j < want; j++) kept.add(group[Math.min(group.length - 1, Math.floor((j + offset) * stride))]!.index);
  }
  return indexed.filter((t) => kept.has(t.index));
}

/** What to print so that a run can be repeated exactly. */
export function shareNote(): string {
  return share >= 1 ? '' : ` AIRGAP_FAULT_SHARE=${share}${FAULT_SALT ? ` AIRGAP_FAULT_SALT=${FAULT_SALT}` : ''}`;
}
