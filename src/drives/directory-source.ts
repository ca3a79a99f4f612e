// Simulated drives: every sub-folder of --drives-root is a removable "disk" mounted at itself.
// Used by the tests and the demo; it has no hardware, so no fingerprint.
import { readdir, stat, statfs } from 'node:fs/promises';
import { join } from 'node:path';
import type { BlockDevice } from '../core/drive-model.js';
import type { DriveSource } from './drive-source.js';

export class DirectorySource implements DriveSource {
  readonly kind = 'directory';

  constructor(readonly root: string) {}

  async list(): Promise<BlockDevice[]> {
    const names = await readdir(this.root).catch(() => [] as string[]);
    const out: BlockDevice[] = [];
    for (const name of names.sort()) {
      const path = join(this.root, name);
      if (!(await stat(path).then((s) => s.isDirectory(), () => false))) continue;
      const fs = await statfs(path).catch(() => undefined);
      out.push({
        device: `sim:${name}`,
        description: `simulated drive ${name}`,
        size: fs ? fs.blocks * fs.bsize : null,
        mountpoints: [path],
        removable: true,
        usb: true,
        card: false,
        system: false,
        virtual: false,
        readOnly: false,
        raid: false,
        error: null,
        fingerprints: {},
      });
    }
    return out;
  }
}
