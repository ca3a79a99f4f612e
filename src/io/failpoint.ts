// Named failpoints for the fault suite (test/faults): the places where a crash matters most
// (between the steps of the write and prune protocols). They do nothing unless the CLI
// installed a handler, which it does only when AIRGAP_FAILPOINT is set; the handler then kills
// the process on the spot, as a power cut would, at the chosen point (or, with
// AIRGAP_FAILPOINT_ACTION=stop, freezes it there: a test can then act while it is busy).
// `verify:snapshot` is one of the latter kind: a verify writes nothing, a kill there proves nothing.
type Handler = (name: string) => void;

let handler: Handler | undefined;

export function setFailpointHandler(h: Handler | undefined): void {
  handler = h;
}

export function failpoint(name: string): void {
  handler?.(name);
}

/**
 * Parses AIRGAP_FAILPOINT: `name` (first hit) or `name@N` (the N-th hit, from 1). Returns the
 * handler that calls `kill` when that hit comes, or undefined for an empty/invalid spec.
 */
export function failpointFromSpec(spec: string | undefined, kill: () => void): Handler | undefined {
  const m = /^([a-z:-]+)(?:@(\d+))?$/.exec(spec ?? '');
  if (!m) return undefined;
  const target = m[1]!;
  const nth = m[2] ? Number(m[2]) : 1;
  let hits = 0;
  return (name) => {
    if (name === target && ++hits === nth) kill();
  };
}
