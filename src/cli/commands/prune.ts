import { readDriveContents, twinMessage } from '../../layout/drive-contents.js';
import { EXIT, refusal } from '../../core/errors.js';
import { pruneCandidates } from '../../core/planner.js';
import { byDriveName } from '../../core/drive-name.js';
import { pruneGate } from '../../core/prune-gate.js';
import { DriveLock } from '../../layout/drive-lock.js';
import { pruneSnapshots } from '../../snapshot/prune.js';
import { bytes } from '../../ui/render.js';
import type { Context } from '../context.js';
import { planDrives, requirePolicy } from '../planning.js';
import { openCatalog, recordPruneFirst, refreshFromDrive, withdrawUnpruned } from '../catalog-access.js';
import { findDrive } from '../find-drive.js';
import { printJson } from '../output.js';
import { removeLeftovers } from '../../layout/leftovers.js';

export async function pruneCommand(ctx: Context, spec: string, flags: { dryRun?: boolean }): Promise<number> {
  const { policy } = await requirePolicy(ctx);
  const drive = await findDrive(ctx, spec, { write: true, bind: !flags.dryRun });
  const catalog = await openCatalog(ctx);
  const name = byDriveName(policy.drives, drive.identity.name)?.name ?? drive.identity.name;
  const gate = pruneGate(catalog.unacceptedSuspects());
  if (!gate.open && !flags.dryRun) throw refusal('suspect-not-accepted', gate.reason, gate.hint);
  const { prune, notes } = pruneCandidates({ policy, drives: planDrives(policy, catalog, ctx) }, name);
  const total = prune.reduce((n, p) => n + p.bytes, 0);
  if (ctx.json && flags.dryRun) {
    printJson(ctx, { ok: true, dryRun: true, drive: name, prune, notes });
    return EXIT.ok;
  }
  if (!ctx.json) {
    ctx.stdout.write(prune.length ? `${flags.dryRun ? 'Would prune' : 'Pruning'} ${prune.length} snapshot(s) on ${name} (${bytes(total)}):\n` : `Nothing to prune on ${name}: every snapshot is kept by the retention policy.\n`);
    for (const p of prune) ctx.stdout.write(`  ${p.snapshot}  ${bytes(p.bytes)}  ${p.reason}\n`);
    for (const n of notes) ctx.stdout.write(`  note: ${n}\n`);
  }
  // What an interrupted prune (or backup) left is finished off first, even when nothing else is due.
  if (!flags.dryRun && (await readDriveContents(drive.airgapDir)).leftovers.length) {
    const lock = await DriveLock.acquire(drive.airgapDir, name, 'prune');
    try {
      await removeLeftovers(drive.airgapDir, (line) => ctx.stderr.write(`${line}\n`));
    } finally {
      await lock.release();
    }
  }
  if (flags.dryRun || prune.length === 0) {
    if (ctx.json) printJson(ctx, { ok: true, drive: name, pruned: [], notes });
    return EXIT.ok;
  }
  const lock = await DriveLock.acquire(drive.airgapDir, name, 'prune');
  try {
    const ids = prune.map((p) => p.snapshot);
    await recordPruneFirst(catalog, drive.identity.id, ids, ctx.clock());
    const done: string[] = [];
    try {
      await pruneSnapshots(drive.airgapDir, ids, {
        beforeEach: () => lock.assertHeld(),
        onPruned: (id) => done.push(id),
        onSkipped: (_id, leftover) => ctx.stderr.write(`warning: not pruned: ${twinMessage(leftover)}\n`),
      });
    } finally {
      // What was recorded but is still on the drive (skipped, or the prune failed first) is withdrawn.
      await withdrawUnpruned(catalog, drive.identity.id, drive.airgapDir, ids);
    }
    await refreshFromDrive(ctx, catalog, drive);
    await catalog.save();
    if (ctx.json) printJson(ctx, { ok: true, drive: name, pruned: done, notes });
    else ctx.stdout.write(`Pruned ${done.length} snapshot(s); ${bytes(total)} freed.\n`);
  } finally {
    await lock.release();
  }
  return EXIT.ok;
}
