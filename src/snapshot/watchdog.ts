// Turns a stall (a hung read on a dying disk, a network share that stopped answering) into a
// clear error instead of a process that waits forever or, worse, exits 0 with half a tarball.
import { refusal } from '../core/errors.js';

export class Watchdog {
  private last = Date.now();
  private where = '';
  private timer: NodeJS.Timeout | undefined;
  readonly stalled: Promise<never>;

  constructor(private readonly limitMs: number) {
    this.stalled = new Promise<never>((_, reject) => {
      this.timer = setInterval(() => {
        if (Date.now() - this.last > this.limitMs) {
          this.stop();
          reject(refusal('stalled', `no progress for ${Math.round(this.limitMs / 1000)} s while working on ${this.where || 'the backup'}`,
            'check that the drive and the source are still connected and responding, then run again'));
        }
      }, Math.min(1000, limitMs)).unref();
    });
    this.stalled.catch(() => {}); // only meaningful when raced
  }

  tick = (where: string): void => {
    this.last = Date.now();
    this.where = where;
  };

  /** Runs `work`, failing as soon as it makes no progress for the limit. */
  guard<T>(work: Promise<T>): Promise<T> {
    return Promise.race([work, this.stalled]).finally(() => this.stop());
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
