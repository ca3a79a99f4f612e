// What airgap knows about a disk, whichever adapter found it, and the pure rules that decide
// which disks may ever be offered for labelling (etcher's safe defaults).

/** Hardware identity beyond what drivelist reports; any field may be unknown. */
export interface Fingerprint {
  serial?: string;
  model?: string;
  fsType?: string;
  fsUuid?: string;
  label?: string;
  partUuid?: string;
}

export interface BlockDevice {
  /** /dev/sdb, /dev/disk4, \\.\PHYSICALDRIVE1, or sim:<name> for a simulated drive. */
  device: string;
  description: string;
  size: number | null;
  mountpoints: string[];
  removable: boolean;
  usb: boolean;
  card: boolean;
  system: boolean;
  virtual: boolean;
  readOnly: boolean;
  /** A member of a software RAID (its filesystem is the array's, never its own). */
  raid: boolean;
  error: string | null;
  busType?: string;
  /** Per mountpoint: the identity of the filesystem mounted there (and its disk's serial). */
  fingerprints: Record<string, Fingerprint>;
}

export type RefusalReason = 'error' | 'no-size' | 'system' | 'loop' | 'virtual' | 'raid' | 'internal';

export type Verdict = { offer: true } | { offer: false; reason: RefusalReason; detail: string };

export interface ClassifyOptions {
  /** Offer loop devices (images mounted for tests or recovery). */
  includeLoop?: boolean;
}

const isLoop = (device: string) => /\/loop\d+$|^\/dev\/loop/.test(device);

/** Whether a disk may be offered for labelling. Order matters: the most serious reason wins. */
export function classifyDevice(d: BlockDevice, opts: ClassifyOptions = {}): Verdict {
  if (d.error) return { offer: false, reason: 'error', detail: `the system reports an error: ${d.error}` };
  if (d.system) return { offer: false, reason: 'system', detail: 'system disk: never touched' };
  if (isLoop(d.device)) {
    return opts.includeLoop ? { offer: true } : { offer: false, reason: 'loop', detail: 'loop device (a mounted image); use --include-loop to offer it' };
  }
  if (d.virtual) return { offer: false, reason: 'virtual', detail: 'virtual device (zram, RAM disk, disk image)' };
  if (d.raid) return { offer: false, reason: 'raid', detail: 'member of a RAID array' };
  if (!d.size) return { offer: false, reason: 'no-size', detail: 'no size (empty card reader or no medium)' };
  if (!d.removable && !d.usb && !d.card) return { offer: false, reason: 'internal', detail: 'internal disk, not removable' };
  return { offer: true };
}

export type FingerprintCheck =
  | { status: 'match' | 'new' | 'unknown' }
  | { status: 'mismatch'; fields: { field: keyof Fingerprint; recorded: string; seen: string }[] };

/**
 * Compares the fingerprint recorded when a drive was first seen with the one seen now. Only
 * fields known on both sides count: a serial a USB bridge hides is not a mismatch.
 */
export function checkFingerprint(recorded: Fingerprint | undefined, seen: Fingerprint | undefined): FingerprintCheck {
  if (!seen || (!seen.serial && !seen.fsUuid)) return { status: 'unknown' };
  if (!recorded || (!recorded.serial && !recorded.fsUuid)) return { status: 'new' };
  const fields: { field: keyof Fingerprint; recorded: string; seen: string }[] = [];
  let compared = 0;
  for (const field of ['serial', 'fsUuid'] as const) {
    const r = recorded[field];
    const s = seen[field];
    if (r && s) compared++;
    if (r && s && r !== s) fields.push({ field, recorded: r, seen: s });
  }
  if (fields.length) return { status: 'mismatch', fields };
  // Nothing known on both sides (a serial recorded, only a UUID seen): learn, do not judge.
  return compared ? { status: 'match' } : { status: 'new' };
}

export const describeFingerprint = (f: Fingerprint | undefined): string =>
  f ? [f.serial && `serial ${f.serial}`, f.fsUuid && `filesystem ${f.fsUuid}`].filter(Boolean).join(', ') || 'unknown' : 'unknown';
