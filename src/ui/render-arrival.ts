// What `airgap watch` says and notifies when a drive of the rotation arrives (cli/arrival-actions.ts):
// one line per step, and the desktop notification's title and text.
import type { ArrivalDecision } from '../core/arrival.js';
import { displayText } from './render.js';

/** One step of an arrival's handling, as a line or (--json) as this object. */
export interface ArrivalStep {
  type: 'action';
  at: string;
  drive: string;
  /** due/not-due: notified; backup/verify/eject: a step of the unattended backup; done/failed: its outcome; busy: already being handled; ignored: not a drive of the rotation. */
  step: 'due' | 'not-due' | 'backup' | 'verify' | 'eject' | 'done' | 'failed' | 'busy' | 'ignored';
  message: string;
  snapshot?: string;
  notification?: { sent: true; via: string } | { sent: false; reason: string };
}

export function renderArrivalStep(e: ArrivalStep): string {
  const sent = e.notification ? (e.notification.sent ? ' [notified]' : ` [not notified: ${displayText(e.notification.reason)}]`) : '';
  return `${e.at.slice(11, 19)} ${e.step.padEnd(9)} ${displayText(e.message)}${sent}\n`;
}

/** "Drive B is connected: its backup is due — run airgap", or not due, and when it is. */
export function arrivalMessage(d: Extract<ArrivalDecision, { action: 'notify' }>): string {
  if (d.due) return `Drive ${d.drive} is connected: its backup is due — run airgap`;
  const when = d.dueOn ? ` (its next backup is on ${d.dueOn})` : '';
  const next = d.next && d.next.drive !== d.drive ? `; the next backup is drive ${d.next.drive}'s, ${d.next.date}` : '';
  return `Drive ${d.drive} is connected: its backup is not due${when}${next}`;
}

export function arrivalTitle(drive: string, step: ArrivalStep['step']): string {
  switch (step) {
    case 'done': return `airgap: drive ${drive} backed up`;
    case 'failed': return `airgap: the backup onto drive ${drive} FAILED`;
    case 'due': return `airgap: drive ${drive} is due`;
    default: return `airgap: drive ${drive} connected`;
  }
}
