// The user's config file: what to back up and the drives of the rotation. Validated with a
// schema so that a bad config gets one clear line naming the file and the field.
import { mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { z } from 'zod';
import { usageError } from '../core/errors.js';
import { DRIVE_NAME_RE } from '../core/format.js';
import { writeFileAtomic } from '../io/durable.js';

export const configSchema = z.strictObject({
  version: z.literal(1),
  sources: z.array(z.string().min(1)).min(1, 'list at least one folder'),
  excludes: z.array(z.string()).default([]),
  drives: z.strictObject({
    /** The drives of the rotation, in order. */
    rotation: z.array(z.strictObject({
      name: z.string().regex(DRIVE_NAME_RE, 'letters, digits, ".", "_" or "-"'),
      role: z.enum(['home', 'offsite']).default('home'),
    })).default([]),
    /** Extra folders whose sub-folders may be drive mountpoints (beyond /media, /mnt, /Volumes). */
    mountRoots: z.array(z.string().min(1)).default([]),
  }).default({ rotation: [], mountRoots: [] }),
  cadence: z.enum(['daily', 'weekly']).default('weekly'),
});
export type Config = z.infer<typeof configSchema>;

/** Loads the config; undefined when there is none and none was asked for explicitly. */
export async function loadConfig(path: string, explicit: boolean): Promise<Config | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && !explicit) return undefined;
    throw usageError('config-unreadable', `cannot read config ${path}: ${code ?? (e as Error).message}`, 'check the path given with --config or AIRGAP_CONFIG, or create one with `airgap init`');
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw usageError('config-invalid', `config ${path} is not valid JSON: ${(e as Error).message}`, 'fix the file, or write a new one with `airgap init --force`');
  }
  const r = configSchema.safeParse(json);
  if (!r.success) {
    const i = r.error.issues[0]!;
    throw usageError('config-invalid', `config ${path}: ${i.path.join('.') || '(root)'}: ${i.message}`, 'fix that field (see docs/cli.md for the config format)');
  }
  return r.data;
}

export async function saveConfig(path: string, config: Config): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFileAtomic(path, JSON.stringify(config, null, 2) + '\n');
}
