// The files `airgap service install` writes (issue 19, "it reminds and starts by itself"), as
// text: systemd user units on Linux, launchd agents on macOS, and the Task Scheduler commands
// for Windows. Pure: the caller gives the absolute paths (node, bin/airgap.js, the config) and
// the time of the daily reminder; core/service-marker.ts adds the "written by airgap" marker.
import { usageError } from './errors.js';

export interface ServiceSpec {
  /** The running node binary: a unit runs without the user's PATH, so no bare "node". */
  node: string;
  /** The installed bin/airgap.js. */
  bin: string;
  /** The config in use, passed with --config: the service reads the same one as the command that installed it. */
  config: string;
  /** The daily reminder's local time. */
  at: { hour: number; minute: number };
}

export interface ServiceFile {
  name: string;
  /** The file's text without the marker line. */
  body: string;
}

export const SYSTEMD_REMIND_SERVICE = 'airgap-remind.service';
export const SYSTEMD_REMIND_TIMER = 'airgap-remind.timer';
export const SYSTEMD_WATCH_SERVICE = 'airgap-watch.service';
/** What `enable --now` starts: the timer (not its service, which the timer runs) and the watcher. */
export const SYSTEMD_ENABLED = [SYSTEMD_REMIND_TIMER, SYSTEMD_WATCH_SERVICE];
export const LAUNCHD_REMIND = 'com.airgap.remind';
export const LAUNCHD_WATCH = 'com.airgap.watch';

/** "09:30" → { hour: 9, minute: 30 }; undefined when it is not a time of day. */
export function parseTimeOfDay(text: string): { hour: number; minute: number } | undefined {
  const m = /^([01]?\d|2[0-3]):([0-5]\d)$/.exec(text);
  return m ? { hour: Number(m[1]), minute: Number(m[2]) } : undefined;
}

const hhmm = (at: ServiceSpec['at']) => `${String(at.hour).padStart(2, '0')}:${String(at.minute).padStart(2, '0')}`;

/**
 * A path with a control character cannot be written safely into a unit line, a plist or a
 * command line (a newline would end the line and start a setting of its own): refused.
 */
function checkPaths(spec: ServiceSpec): void {
  for (const [what, p] of [['node', spec.node], ['airgap', spec.bin], ['the config', spec.config]] as const) {
    // eslint-disable-next-line no-control-regex
    if (/[\u0000-\u001f\u007f]/.test(p)) throw usageError('service-bad-path', `the path of ${what} contains a control character: it cannot go into a service file`, 'move it to a path without control characters');
  }
}

/**
 * One word of an ExecStart= line: double-quoted, with `\` and `"` escaped (systemd's C-style
 * escapes inside quotes), `%` doubled (specifiers) and `$` doubled (environment expansion):
 * a path with spaces, quotes, percent or dollar signs reaches the program as it is.
 */
export function systemdWord(arg: string): string {
  return `"${arg.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/%/g, '%%').replace(/\$/g, '$$$$')}"`;
}

const commandLine = (spec: ServiceSpec, command: string) =>
  [spec.node, spec.bin, command, '--config', spec.config].map(systemdWord).join(' ');

/** remind's "something to remind" codes (32 + a bit per kind): its answer, not a failure of the unit. */
const REMIND_CODES = Array.from({ length: 31 }, (_, i) => 33 + i).join(' ');

/** The three user units: the reminder (a oneshot), its daily timer, and the watcher. */
export function systemdUnits(spec: ServiceSpec): ServiceFile[] {
  checkPaths(spec);
  const remind = `[Unit]
Description=airgap: what is overdue or wrong (rotation, verification, restore drills, drive health), as a desktop notification

[Service]
Type=oneshot
ExecStart=${commandLine(spec, 'remind')}
# remind exits 33-63 when it has something to remind (docs/cli.md): its answer, not a failure.
SuccessExitStatus=${REMIND_CODES}
`;
  const timer = `[Unit]
Description=airgap: the daily reminder at ${hhmm(spec.at)}

[Timer]
OnCalendar=*-*-* ${hhmm(spec.at)}:00
# A day missed while the computer was off (or you were logged out) runs at the next start.
Persistent=true
Unit=${SYSTEMD_REMIND_SERVICE}

[Install]
WantedBy=timers.target
`;
  const watch = `[Unit]
Description=airgap: watch for backup drives and act when one is plugged in

[Service]
ExecStart=${commandLine(spec, 'watch')}
Restart=on-failure
RestartSec=10
# Stopped by systemd (SIGTERM), watch ends a running backup safely and exits 130: as asked.
SuccessExitStatus=130

[Install]
WantedBy=default.target
`;
  return [{ name: SYSTEMD_REMIND_SERVICE, body: remind }, { name: SYSTEMD_REMIND_TIMER, body: timer }, { name: SYSTEMD_WATCH_SERVICE, body: watch }];
}

/** Text for an XML element or attribute: the five characters XML gives a meaning escaped. */
export function xmlText(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

function plist(label: string, args: string[], extra: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
  <key>Label</key>
  <string>${xmlText(label)}</string>
  <key>ProgramArguments</key>
  <array>
${args.map((a) => `    <string>${xmlText(a)}</string>\n`).join('')}  </array>
${extra}</dict>
</plist>
`;
}

/** The two launchd agents: the reminder at a time of day (launchd runs a time missed asleep at wake), and the watcher kept alive. */
export function launchdAgents(spec: ServiceSpec): ServiceFile[] {
  checkPaths(spec);
  const args = (command: string) => [spec.node, spec.bin, command, '--config', spec.config];
  const remind = plist(LAUNCHD_REMIND, args('remind'), `  <key>StartCalendarInterval</key>
  <dict>
    <key>Hour</key>
    <integer>${spec.at.hour}</integer>
    <key>Minute</key>
    <integer>${spec.at.minute}</integer>
  </dict>
`);
  // KeepAlive only when it did not end successfully: restarted after a crash, not after a stop.
  const watch = plist(LAUNCHD_WATCH, args('watch'), `  <key>RunAtLoad</key>
  <true/>
  <key>KeepAlive</key>
  <dict>
    <key>SuccessfulExit</key>
    <false/>
  </dict>
`);
  return [{ name: `${LAUNCHD_REMIND}.plist`, body: remind }, { name: `${LAUNCHD_WATCH}.plist`, body: watch }];
}

/** A word of a Task Scheduler /TR command line: double-quoted, its inner quotes escaped for schtasks. */
const trWord = (s: string) => `\\"${s}\\"`;

/** The two `schtasks /Create` commands (run in cmd.exe or PowerShell by the user: airgap does not run them). */
export function schtasksCommands(spec: ServiceSpec): string[] {
  checkPaths(spec);
  const tr = (command: string) => `"${trWord(spec.node)} ${trWord(spec.bin)} ${command} --config ${trWord(spec.config)}"`;
  return [
    `schtasks /Create /F /TN "airgap remind" /SC DAILY /ST ${hhmm(spec.at)} /TR ${tr('remind')}`,
    `schtasks /Create /F /TN "airgap watch" /SC ONLOGON /TR ${tr('watch')}`,
  ];
}

export const SCHTASKS_REMOVE = ['schtasks /Delete /F /TN "airgap remind"', 'schtasks /Delete /F /TN "airgap watch"'];
