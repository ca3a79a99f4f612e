// The printed rotation schedule (core/schedule.ts) in five forms: plain text, Markdown, a
// printable A4 HTML page, an iCalendar file (RFC 5545) and JSON. Pure: the clock (`generatedAt`)
// and the UID domain are parameters, so every output can be compared byte for byte.
// One module per form (render-schedule-*.ts), sharing their words (schedule-phrases.ts); this one
// is where callers import them from.
import type { Schedule } from '../core/schedule.js';

export { describeScheme } from './schedule-phrases.js';
export { renderScheduleText } from './render-schedule-text.js';
export { renderScheduleMarkdown } from './render-schedule-markdown.js';
export { escapeHtml, renderScheduleHtml } from './render-schedule-html.js';
export { escapeIcsText, foldIcsLine, renderScheduleIcs } from './render-schedule-ics.js';

export function renderScheduleJson(s: Schedule): string {
  return JSON.stringify(s, null, 2) + '\n';
}
