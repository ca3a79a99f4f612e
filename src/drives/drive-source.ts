// The port every way of finding disks implements. Adapters: drivelist (real disks),
// directory (simulated drives under --drives-root). All pass test/drives/contract.ts.
import type { BlockDevice } from '../core/drive-model.js';

export interface DriveSource {
  readonly kind: string;
  list(): Promise<BlockDevice[]>;
}
