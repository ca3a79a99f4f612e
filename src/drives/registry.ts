// The host's registry of labelled drives (state dir, drives.json): lets `--drive B` find B's
// last mountpoint and stops two drives from sharing a name. The drives themselves stay the
// truth for their contents; the planner issue grows this into the catalog.
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { checkFingerprint, type Fingerprint, type FingerprintCheck } from '../core/drive-model.js';
import { usageError } from '../core/errors.js';
import { writeFileAtomic } from '../io/durable.js';

const fingerprintSchema = z.object({
  serial: z.string().optional(),
  model: z.string().optional(),
  fsType: z.string().optional(),
  fsUuid: z.string().optional(),
  label: z.string().optional(),
  partUuid: z.string().optional(),
});

const entrySchema = z.object({
  id: z.string(),
  name: z.string(),
  lastPath: z.string(),
  labelledAt: z.string(),
  lastSeenAt: z.string(),
  /** Hardware fingerprint recorded the first time the drive was seen with one. */
  fingerprint: fingerprintSchema.optional(),
});
const registrySchema = z.object({ version: z.literal(1), drives: z.array(entrySchema) });

export type RegistryEntry = z.infer<typeof entrySchema>;

export class DriveRegistry {
  private constructor(readonly file: string, public drives: RegistryEntry[]) {}

  static async load(stateDir: string): Promise<DriveRegistry> {
    const file = join(stateDir, 'drives.json');
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return new DriveRegistry(file, []);
      throw e;
    }
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch {
      data = undefined;
    }
    const r = registrySchema.safeParse(data);
    if (!r.success) {
      throw usageError('state-corrupt', `the drive registry ${file} is damaged`,
        `move it aside (mv ${file} ${file}.bad); it is rebuilt as drives are seen again, and the drives themselves are unaffected`);
    }
    return new DriveRegistry(file, r.data.drives);
  }

  byName(name: string): RegistryEntry | undefined {
    return this.drives.find((d) => d.name.toLowerCase() === name.toLowerCase());
  }

  byId(id: string): RegistryEntry | undefined {
    return this.drives.find((d) => d.id === id);
  }

  /**
   * Records that a drive was seen at a path (the drive's own identity is the truth) and checks
   * its hardware fingerprint against the recorded one. A mismatch is never recorded over the
   * old one: only acceptFingerprint() does that, after the user confirmed.
   */
  seen(identity: { id: string; name: string; createdAt: string }, path: string, at: Date, fingerprint?: Fingerprint): FingerprintCheck {
    let entry = this.byId(identity.id);
    if (entry) Object.assign(entry, { name: identity.name, lastPath: path, lastSeenAt: at.toISOString() });
    else {
      entry = { id: identity.id, name: identity.name, lastPath: path, labelledAt: identity.createdAt, lastSeenAt: at.toISOString() };
      this.drives.push(entry);
    }
    const check = checkFingerprint(entry.fingerprint, fingerprint);
    if (check.status === 'new' && fingerprint) entry.fingerprint = { ...entry.fingerprint, ...fingerprint };
    return check;
  }

  acceptFingerprint(id: string, fingerprint: Fingerprint): void {
    const entry = this.byId(id);
    if (entry) entry.fingerprint = { ...fingerprint };
  }

  async save(): Promise<void> {
    await mkdir(join(this.file, '..'), { recursive: true });
    await writeFileAtomic(this.file, JSON.stringify({ version: 1, drives: this.drives }, null, 2) + '\n');
  }
}
