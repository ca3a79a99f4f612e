// The order of members in an airgap tarball (and its manifest): depth-first, a folder before
// its contents, siblings by the UTF-8 bytes of their names. Both the writer and `verify --deep`
// use it, so a manifest and a tarball can be compared by walking both once.

const enc = new TextEncoder();

export function compareNames(a: string, b: string): number {
  if (a === b) return 0;
  const x = enc.encode(a);
  const y = enc.encode(b);
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return x.length - y.length;
}

export function compareArchivePaths(a: string, b: string): number {
  const pa = a.split('/');
  const pb = b.split('/');
  const n = Math.min(pa.length, pb.length);
  for (let i = 0; i < n; i++) {
    const c = compareNames(pa[i]!, pb[i]!);
    if (c !== 0) return c;
  }
  return pa.length - pb.length;
}
