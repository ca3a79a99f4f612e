// The checks of the manifest's (layout/manifest.ts) and the gate baseline's (state/baseline.ts)
// fields. The checks of every field of every line are loops over char codes, not regexps: five numbers
// and a hash a line, at 40,000 lines a weekly backup's base manifest, cost ~0.15 s of CPU as
// regexps (issue 16's profile). They accept exactly what /^(0|[1-9]\d{0,15})$/ and
// /^[0-9a-f]{64}$/ did (test/layout/field-checks.test.ts holds them to it).

/** A whole number without a sign or leading zeros, at most 16 digits, exact as a double. */
export function isInt(v: string): boolean {
  const n = v.length;
  if (n === 0 || n > 16) return false;
  if (v.charCodeAt(0) === 0x30) return n === 1; // "0", and no leading zero before other digits
  for (let i = 0; i < n; i++) {
    const c = v.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
  }
  return Number.isSafeInteger(Number(v));
}

/** 64 lowercase hex digits. */
export function isSha256Hex(v: string): boolean {
  if (v.length !== 64) return false;
  for (let i = 0; i < 64; i++) {
    const c = v.charCodeAt(i);
    if (!((c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66))) return false;
  }
  return true;
}
