// `airgap` with no arguments: one guided flow from "drive plugged in" to "safe to unplug,
// bring B next". The wizard only asks and shows: every action is a plain command run
// in-process (init, label, verify, backup, restore, schedule, status, eject), and every
// decision comes from the same planner and detection the commands use.
import { byDriveName } from '../core/drive-name.js';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { readdir, stat } from 'node:fs/promises';
import { EXIT, refusal, usageError } from '../core/errors.js';
import { planRotation, type Plan } from '../core/planner.js';
import type { Detection, LabelledDrive } from '../drives/detect.js';
import { watchDrives } from '../drives/watch.js';
import { scanSources } from '../snapshot/scan.js';
import { renderPlan } from '../ui/render-plan.js';
import { bytes } from '../ui/render.js';
import type { Prompter } from '../ui/prompter.js';
import { loadConfig, policyOf, type Config } from './config.js';
import type { Context } from './context.js';
import { detect } from './drive-lookup.js';
import { connectedRotation, impostors, planInput, todayOf } from './planning.js';
import { checkBinding, impostorHint, impostorMessage } from '../drives/binding.js';
import { openCatalog } from './catalog-access.js';
import { cancelScope } from './interrupt.js';

export interface WizardDeps {
  ctx: Context;
  prompter: Prompter;
  /** Runs a plain airgap command in-process; returns its exit code. */
  run: (argv: string[]) => Promise<number>;
  /** No questions: safe defaults, or a clear exit 2 naming what is missing. */
  unattended: boolean;
  /** How long to wait for a drive to be plugged in (default: until Ctrl+C). */
  waitMs?: number;
}

const DAYS_AWAY = 7;

export async function wizard(d: WizardDeps): Promise<number> {
  const { ctx } = d;
  const say = (s = '') => (ctx.json ? ctx.stdout.write(JSON.stringify({ event: 'say', text: s }) + '\n') : ctx.stdout.write(s + '\n'));
  const event = (e: Record<string, unknown>) => ctx.json && ctx.stdout.write(JSON.stringify(e) + '\n');

  // A config path named by AIRGAP_CONFIG that does not exist yet is where setup will write.
  let config = await loadConfig(ctx.configPath, false);
  if (!config || config.drives.rotation.length === 0) {
    if (d.unattended) throw usageError('no-config', 'airgap is not set up yet, and there is no terminal to ask in', 'run: airgap init --source <dir> --drives A,B,C (or run airgap in a terminal)');
    const code = await setup(d, say);
    if (code !== EXIT.ok) return code;
    config = await loadConfig(ctx.configPath, false);
    if (!config) return EXIT.internal;
  }
  const policy = policyOf(config);

  for (;;) {
    const catalog = await openCatalog(ctx);
    const found = await detect(ctx, {}, catalog);
    const connected = connectedRotation(policy, found, catalog, config.drives.rotation);
    const plan = planRotation(planInput(policy, catalog, ctx, connected, todayOf(ctx)));
    event({ event: 'plan', plan });

    if (found.labelled.length === 0 && found.unlabelled.length === 0) {
      const what = plan.target ? `drive ${plan.target}${plan.due ? '' : ` (due ${plan.targetDate})`}` : 'a drive';
      if (d.unattended) throw refusal('no-drive', `no airgap drive is connected; plug in ${what}`, 'plug it in, then run airgap again');
      say(`Plug in ${what}. Waiting… (Ctrl+C to stop)`);
      if (!(await waitForDrive(d))) return EXIT.cancelled;
      continue;
    }
    if (found.labelled.length === 0) {
      const code = await offerLabel(d, found, config, say);
      if (code !== undefined) return code;
      continue;
    }
    // A drive that only claims a rotation name (another id) is not that drive: named, never offered.
    for (const w of impostors(found, catalog, config.drives.rotation)) say(`warning: ${w}`);
    const trusted = found.labelled.filter((l) => checkBinding(l.identity, catalog, config.drives.rotation).status !== 'impostor');
    if (trusted.length === 0) {
      const first = found.labelled[0]!;
      const b = checkBinding(first.identity, catalog, config.drives.rotation);
      if (b.status === 'impostor') throw refusal('not-your-drive', `${impostorMessage(first.identity, first.root, b)}; nothing was written`, impostorHint(first.identity, first.root));
    }
    return driveMenu(d, { ...found, labelled: trusted }, plan, config, say);
  }
}

async function setup(d: WizardDeps, say: (s?: string) => void): Promise<number> {
  const p = d.prompter;
  say('Welcome to airgap: dated, offline copies of your files on a few rotating drives.');
  const folders = (await p.input('Which folders should be protected? (comma-separated)', join(homedir(), 'Documents'), (v) => (v.trim() ? true : 'name at least one folder')))
    .split(',').map((s) => resolve(s.trim().replace(/^~(?=$|\/)/, homedir()))).filter(Boolean);
  for (const f of folders) {
    const st = await stat(f).catch(() => undefined);
    if (!st?.isDirectory()) {
      say(`${f} is not a folder.`);
      return EXIT.usage;
    }
    const scan = await scanSources([{ path: f, root: 'x' }], { excludes: [] });
    say(`  ${f}: ${scan.files} files, ${bytes(scan.bytes)}`);
  }
  const excludes = (await p.input('Anything to skip? (patterns like *.tmp,node_modules; empty for nothing)', '')).split(',').map((s) => s.trim()).filter(Boolean);
  const names = (await p.input('Names of your backup drives (comma-separated; three is good)', 'A,B,C', (v) => (v.split(',').filter((x) => x.trim()).length ? true : 'at least one name')))
    .split(',').map((s) => s.trim()).filter(Boolean);
  const offsite = names.length > 1
    ? await p.select('Which drive lives away from home (at the office, with family)?', [...names.map((n) => ({ value: n })), { value: '-', name: 'none' }], names[1])
    : '-';
  const cadence = await p.select('How often will you back up?', [{ value: 'weekly', name: 'weekly (from today)' }, { value: 'daily' }], 'weekly');
  const argv = ['init', ...folders.flatMap((f) => ['--source', f]), ...excludes.flatMap((x) => ['--exclude', x]), '--drives', names.join(','), '--cadence', cadence, '--offsite', offsite === '-' ? '' : offsite, '--yes'];
  const code = await d.run(argv);
  if (code !== EXIT.ok) return code;
  say('Your rotation for the coming weeks:');
  await d.run(['schedule', '--weeks', '8']);
  return EXIT.ok;
}

async function waitForDrive(d: WizardDeps): Promise<boolean> {
  const stop = new AbortController();
  let arrived = false;
  const timer = d.waitMs ? setTimeout(() => stop.abort(), d.waitMs) : undefined;
  const cancel = cancelScope(() => stop.abort()); // Ctrl+C ends the wait (exit 130)
  try {
    await watchDrives({
      detect: () => detect(d.ctx), signal: stop.signal, clock: d.ctx.clock, intervalMs: d.ctx.watchIntervalMs, mountWaitMs: d.ctx.mountWaitMs,
      onEvent: (e) => {
        // The wizard waits only after finding no drive; one that is already there at the
        // watch's first look ("present") was plugged in meanwhile, and counts as arrived (else a
        // drive plugged in at once was never noticed). A disk not mounted yet is reported below.
        const usable = e.type === 'arrived' || (e.type === 'present' && !(e.drive.kind === 'unlabelled' && e.drive.mountpoints.length === 0));
        if (usable) {
          arrived = true;
          stop.abort();
        } else if (e.type === 'not-mounted') {
          d.ctx.stdout.write(`A disk (${e.device}) is plugged in but not mounted: mount it (airgap mount ${e.device}) or open it in your file manager.\n`);
        }
      },
    });
  } finally {
    if (timer) clearTimeout(timer);
    cancel.close();
  }
  return arrived;
}

async function offerLabel(d: WizardDeps, found: Detection, config: Config, say: (s?: string) => void): Promise<number | undefined> {
  const disk = found.unlabelled[0]!;
  const where = disk.mountpoints[0];
  if (!where) {
    if (d.unattended) throw refusal('not-mounted', `a new disk ${disk.device} is plugged in but not mounted`, `mount it: airgap mount ${disk.device}`);
    say(`A new disk (${disk.device}) is plugged in but not mounted: mount it (airgap mount ${disk.device}), then come back.`);
    return waitForDrive(d).then((ok) => (ok ? undefined : EXIT.cancelled));
  }
  const entries = await readdir(where).catch(() => [] as string[]);
  say(`A new disk is connected: ${disk.description || disk.device}, ${disk.size ? bytes(disk.size) : 'size unknown'}, mounted at ${where}, holding ${entries.length} item(s). airgap never formats it: it only adds an airgap/ folder.`);
  if (d.unattended) throw usageError('unlabelled-disk', `${where} is not an airgap drive yet, and labelling needs your say`, `label it: airgap label ${where} --name <NAME>`);
  if (!(await d.prompter.confirm(`Use it as an airgap backup drive?`, true))) return EXIT.ok;
  const catalog = await openCatalog(d.ctx);
  const free = config.drives.rotation.find((r) => !catalog.byName(r.name));
  const name = await d.prompter.input('Its name (write it on the drive too)', free?.name ?? 'A');
  const code = await d.run(['label', where, '--name', name, '--yes']);
  return code === EXIT.ok ? undefined : code;
}

type Action = 'backup' | 'verify' | 'verify-deep' | 'restore' | 'schedule' | 'status' | 'eject' | 'quit';

async function driveMenu(d: WizardDeps, found: Detection, plan: Plan, config: Config, say: (s?: string) => void): Promise<number> {
  const { ctx } = d;
  const due = found.labelled.find((l) => l.identity.name === plan.target);
  const drive: LabelledDrive = due ?? found.labelled[0]!;
  const name = drive.identity.name;
  const catalog = await openCatalog(ctx);
  const entry = catalog.byId(drive.identity.id);
  const role = byDriveName(config.drives.rotation, name);
  say(`Drive ${name} is connected at ${drive.root}${role ? ` (${role.role}${role.location ? `, ${role.location}` : ''})` : ' (not in the rotation)'}.`);
  say(`  ${drive.snapshots} snapshot(s)${drive.lastSnapshot ? `, newest ${drive.lastSnapshot}` : ''}${drive.space ? `, ${bytes(drive.space.free)} free` : ''}`);
  say(`  last written ${entry?.lastWrittenAt?.slice(0, 10) ?? 'never'}, verified ${entry?.lastVerifiedAt?.slice(0, 10) ?? 'never'}${entry?.lastVerifyOk === false ? ' (FAILED)' : ''}`);
  say();
  say(renderPlan(plan).trimEnd());
  if (!due && plan.target && plan.due) say(`note: ${name} is not the due drive (${plan.target} is).`);
  say();

  for (;;) {
    const action: Action = d.unattended ? 'backup' : await d.prompter.select<Action>('What now?', [
      { value: 'backup', name: `Back up to ${name} now` },
      { value: 'verify', name: `Verify ${name} (checksums)` },
      { value: 'verify-deep', name: `Verify ${name} deeply (every file)` },
      { value: 'restore', name: `Restore files from ${name}` },
      { value: 'schedule', name: 'Show the schedule' },
      { value: 'status', name: 'Show the status of all drives' },
      { value: 'eject', name: `Eject ${name}` },
      { value: 'quit', name: 'Quit' },
    ], plan.due && due ? 'backup' : 'verify');
    switch (action) {
      case 'backup':
        return backupFlow(d, drive, plan, config, say);
      case 'verify':
      case 'verify-deep':
        await d.run(['verify', name, ...(action === 'verify-deep' ? ['--deep'] : [])]);
        break;
      case 'restore': {
        const to = await d.prompter.input('Restore into which folder? (new or empty)', join(homedir(), `airgap-restore-${todayOf(ctx)}`));
        const paths = (await d.prompter.input('Which files or folders? (paths inside the snapshot, comma-separated; empty for everything)', '')).split(',').map((s) => s.trim()).filter(Boolean);
        await d.run(['restore', name, '--to', to, ...paths]);
        break;
      }
      case 'schedule':
        await d.run(['schedule', '--weeks', '13']);
        break;
      case 'status':
        await d.run(['status']);
        break;
      case 'eject':
        await d.run(['eject', name]);
        say(await farewell(d, name, config));
        return EXIT.ok;
      case 'quit':
        return EXIT.ok;
    }
  }
}

async function backupFlow(d: WizardDeps, drive: LabelledDrive, plan: Plan, config: Config, say: (s?: string) => void): Promise<number> {
  const { ctx } = d;
  const name = drive.identity.name;
  const role = byDriveName(config.drives.rotation, name);
  const catalog = await openCatalog(ctx);
  const seen = catalog.byId(drive.identity.id)?.lastSeenAt;
  const away = role?.role === 'offsite' || !seen || Date.now() - Date.parse(seen) > DAYS_AWAY * 86_400_000;
  if (away && drive.snapshots > 0) {
    // A drive that has been away is checked before anything on it is pruned or overwritten.
    say(`${name} has been away: verifying it before anything on it changes.`);
    const v = await d.run(['verify', name]);
    if (v !== EXIT.ok) {
      say(`${name} is DAMAGED (see above). Nothing was written or pruned. Safest next step: keep ${name} as it is, back up to another drive of the rotation, and restore what you need from the others (airgap find ${name} <name> --all-snapshots).`);
      return EXIT.damaged;
    }
  }
  const notDue = plan.target && plan.target !== name && plan.due;
  if (!d.unattended) {
    if (notDue && !(await d.prompter.confirm(`${name} is not the due drive (${plan.target} is). Write to ${name} anyway?`, false))) return EXIT.ok;
    if (!(await d.prompter.confirm(`Write today's snapshot to ${name}?`, true))) return EXIT.ok;
  } else if (notDue) {
    throw refusal('not-due-drive', `${name} is connected, but ${plan.target} is the due drive`, `plug in ${plan.target}, or run airgap backup --drive ${name} to write ${name} anyway`);
  }
  let code = await d.run(['backup', '--drive', name]);
  const suspects = code === EXIT.refused ? (await openCatalog(ctx)).unacceptedSuspects() : [];
  if (suspects.length && !d.unattended) {
    // The mass-change gate tripped: the report is above; the snapshot was kept as evidence.
    if (await d.prompter.confirm('The changes above look like ransomware or a broken sync. Are they yours (open a few files to check), and should airgap accept them?', false)) {
      code = await d.run(['backup', '--drive', name, '--accept-changes']);
    } else {
      say(`Nothing was pruned, and nothing will be until the changes are accepted. Safest next step: unplug ${name} now, check the computer, and restore the damaged files from an older snapshot (airgap restore ${name} --snapshot <id> --to <folder>).`);
      return EXIT.refused;
    }
  }
  if (code !== EXIT.ok) {
    say(code === EXIT.refused ? 'The backup was refused (see above): nothing was pruned.' : 'The backup did not complete (see above).');
    return code;
  }
  if (!d.unattended && (await d.prompter.confirm(`Eject ${name} now?`, true))) await d.run(['eject', name]);
  say(await farewell(d, name, config));
  return EXIT.ok;
}

/** The physical instruction: where this drive goes now, and which one comes next, when. */
async function farewell(d: WizardDeps, name: string, config: Config): Promise<string> {
  const policy = policyOf(config);
  const catalog = await openCatalog(d.ctx);
  const next = planRotation(planInput(policy, catalog, d.ctx, [], todayOf(d.ctx)));
  const role = byDriveName(config.drives.rotation, name);
  const where = role?.role === 'offsite' ? `take it to ${role.location ?? 'its offsite place'}` : `put it away${role?.location ? ` (${role.location})` : ''}, disconnected`;
  const then = next.target ? `next: bring ${next.target} on ${next.targetDate}` : '';
  return `Unplug ${name} and ${where}; ${then}.`;
}
