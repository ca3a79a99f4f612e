import { EXIT, usageError } from '../../core/errors.js';
import { readDriveContents } from '../../layout/drive-contents.js';
import { renderVerifyReport } from '../../ui/render-verify.js';
import { startProgress } from '../../ui/progress.js';
import { bytes } from '../../ui/render.js';
import { verifyDrive } from '../../verify/verify-drive.js';
import type { Context } from '../context.js';
import { openCatalog } from '../catalog-access.js';
import { findDrive } from '../find-drive.js';
import { printJson } from '../output.js';

export interface VerifyFlags {
  snapshot?: string;
  deep?: boolean;
}

export async function verifyCommand(ctx: Context, spec: string, flags: VerifyFlags): Promise<number> {
  const drive = await findDrive(ctx, spec);
  if (flags.snapshot) {
    const { snapshots } = await readDriveContents(drive.airgapDir);
    if (!snapshots.some((s) => s.id === flags.snapshot)) {
      throw usageError('unknown-snapshot', `drive ${drive.identity.name} has no snapshot ${flags.snapshot}`, `see \`airgap list ${spec}\``);
    }
  }
  const progress = await startProgress(ctx.progress, `Verifying drive ${drive.identity.name}…`);
  const started = Date.now();
  let read = 0;
  let current = '';
  // What this host knows of the drive's past (findDrive has just refreshed it from the drive).
  const known = (await openCatalog(ctx)).byId(drive.identity.id);
  const history = known && drive.binding.status !== 'impostor'
    ? { missing: known.missing, prunedAt: (id: string) => known.pruned.find((p) => p.id === id)?.at }
    : undefined;
  const report = await verifyDrive({
    airgapDir: drive.airgapDir, path: drive.root, drive: { id: drive.identity.id, name: drive.identity.name },
    snapshotId: flags.snapshot, deep: flags.deep ?? false, history,
    onSnapshot: (id, i, n) => (current = `${id} (${i + 1}/${n})`),
    onBytes: (n) => {
      read += n;
      const s = (Date.now() - started) / 1000;
      progress.update(() => `Verifying ${current}${flags.deep ? ' deep' : ''} · ${bytes(read)} read · ${bytes(s > 0 ? read / s : 0)}/s`);
    },
  }).finally(() => progress.stop());
  const seconds = (Date.now() - started) / 1000;
  const catalog = await openCatalog(ctx);
  catalog.recordVerify(drive.identity.id, report.snapshots.map((s) => ({ id: s.id, ok: s.status === 'ok' })), flags.deep ?? false, ctx.clock());
  await catalog.save().catch(() => {}); // a read-only home does not stop an offline check
  if (ctx.json) printJson(ctx, { ...report, seconds });
  else ctx.stdout.write(renderVerifyReport(report, seconds));
  return report.ok ? EXIT.ok : EXIT.damaged;
}
