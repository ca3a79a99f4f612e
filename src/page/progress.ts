// The progress line: bytes read of the total, speed and time left, from a clock the page passes in.
export interface Progress {
  done: number;
  total: number;
  startedMs: number;
}

export function progressText(p: Progress, nowMs: number): string {
  const secs = Math.max((nowMs - p.startedMs) / 1000, 0.001);
  const rate = p.done / secs;
  const left = rate > 0 ? (p.total - p.done) / rate : Infinity;
  return `${size(p.done)} of ${size(p.total)} · ${size(rate)}/s · ${p.done >= p.total ? 'done' : `about ${duration(left)} left`}`;
}

export function size(n: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  while (n >= 1000 && i < units.length - 1) {
    n /= 1000;
    i++;
  }
  return `${i === 0 ? n.toFixed(0) : n.toFixed(1)} ${units[i]}`;
}

function duration(s: number): string {
  if (!Number.isFinite(s)) return 'unknown time';
  if (s < 60) return `${Math.ceil(s)} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${Math.ceil(s % 60)} s`;
  return `${Math.floor(s / 3600)} h ${Math.ceil((s % 3600) / 60)} min`;
}
