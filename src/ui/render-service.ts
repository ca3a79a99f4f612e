// `airgap service` in words: which files, what became of each, and whether the service manager
// started them (or the command that starts them later).
import type { InstallResult, RemoveResult, StatusResult } from '../jobs/service.js';
import { displayText } from './render.js';

const STATE_WORDS = {
  absent: 'not there',
  current: 'installed, as airgap wrote it',
  outdated: 'installed by an older setup (another config, time or airgap): install rewrites it',
  edited: 'EDITED by hand since airgap wrote it (install and remove leave it alone without --force)',
  foreign: 'NOT written by airgap (never overwritten or removed)',
} as const;

export function renderServiceInstall(r: InstallResult): string {
  if (r.outcome === 'commands') {
    return ['On Windows, airgap does not create the scheduled tasks itself. Run these two commands (cmd.exe or PowerShell) to have them:', '',
      ...r.commands.map((c) => `  ${c}`), '', 'and to remove them:', '', ...r.removeCommands.map((c) => `  ${c}`), ''].join('\n');
  }
  if (r.outcome === 'already-installed') return `The airgap service is already installed (${displayText(r.dir)}): nothing changed.\n`;
  const lines = [`${r.outcome === 'installed' ? 'Installed' : 'Updated'} the airgap service in ${displayText(r.dir)}:`];
  for (const f of r.files) lines.push(`  ${displayText(f.name)}: ${f.written ? (f.state === 'absent' ? 'written' : `rewritten (was ${f.state})`) : 'unchanged'}`);
  if (r.start?.started) lines.push(r.platform === 'darwin' ? 'Loaded with launchctl: the daily reminder and the drive watcher run from now on.' : 'Enabled and started: the daily reminder (airgap-remind.timer) and the drive watcher (airgap-watch.service) run from now on.');
  else if (r.start) {
    lines.push(`The files are written but NOT started: ${displayText(r.start.reason)}.`);
    lines.push(`Start them later, in your login session, with: ${displayText(r.start.command)}`);
  }
  return lines.join('\n') + '\n';
}

export function renderServiceRemove(r: RemoveResult): string {
  const lines: string[] = [];
  if (!r.removed.length) lines.push(`The airgap service is not installed (${displayText(r.dir)}): nothing to remove.`);
  else {
    if (r.stopped === true) lines.push('Stopped and disabled the airgap service.');
    else if (r.stopped) lines.push(`Not stopped: ${displayText(r.stopped)}. The files are removed, so it will not start again.`);
    for (const p of r.removed) lines.push(`  removed ${displayText(p)}`);
  }
  for (const f of r.leftAlone) lines.push(`  left alone ${displayText(f.path)} (${f.why})`);
  return lines.join('\n') + '\n';
}

export function renderServiceStatus(r: StatusResult): string {
  const lines = [`The airgap service is ${r.installed ? 'installed' : 'not installed'} (${displayText(r.dir)}):`];
  for (const f of r.files) lines.push(`  ${displayText(f.name)}: ${STATE_WORDS[f.state]}`);
  if (!r.manager.reachable) lines.push(`Service manager: ${displayText(r.manager.reason)}.`);
  else for (const u of r.manager.units ?? []) lines.push(`  ${u.unit}: ${u.enabled !== undefined ? `${u.enabled}, ` : ''}${u.active}`);
  return lines.join('\n') + '\n';
}
