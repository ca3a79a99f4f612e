// ui/discard-typeahead.ts on a stand-in for a terminal's stdin (a PassThrough that says it is a
// TTY and records its mode): keys waiting before the call are dropped, keys sent after it are
// kept for the prompt, the mode is put back, and a stream of keys cannot keep it draining.
// The real terminal is test/e2e/wizard-typeahead-terminal.test.ts.
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { discardTypeahead } from '../../src/ui/discard-typeahead.js';

function fakeTty(raw = false) {
  const s = new PassThrough() as PassThrough & { isTTY: boolean; isRaw: boolean; modes: boolean[]; setRawMode(m: boolean): void };
  s.isTTY = true;
  s.isRaw = raw;
  s.modes = [];
  s.setRawMode = (m: boolean) => {
    s.isRaw = m;
    s.modes.push(m);
  };
  return s;
}

/** What a later reader (the prompt, which resumes the stream as readline does) gets from it. */
const nextData = (s: PassThrough) => new Promise<string>((r) => {
  s.once('data', (d: Buffer) => r(d.toString()));
  s.resume();
});

describe('discardTypeahead', () => {
  it('drops what was typed before, in raw mode, and puts the mode back and the stream on pause', async () => {
    const tty = fakeTty();
    tty.write('y\r');
    tty.write('\r');
    expect(await discardTypeahead(tty, { onInterrupt: () => expect.fail('no Ctrl+C was typed') })).toBe(3);
    expect(tty.modes).toEqual([true, false]);
    expect(tty.isPaused()).toBe(true);
    // Typed once the question is shown: kept for it.
    tty.write('n');
    expect(await nextData(tty)).toBe('n');
  });

  it('returns with nothing typed, and leaves a raw terminal raw', async () => {
    const tty = fakeTty(true);
    expect(await discardTypeahead(tty)).toBe(0);
    expect(tty.modes).toEqual([true, true]);
  });

  it('ends even while keys keep coming (a held-down key)', async () => {
    const tty = fakeTty();
    const typing = setInterval(() => tty.write('\r'), 2);
    try {
      expect(await discardTypeahead(tty, { quietMs: 10, maxMs: 100 })).toBeGreaterThan(0);
    } finally {
      clearInterval(typing);
    }
    expect(tty.isRaw).toBe(false);
  });

  it('a Ctrl+C among the dropped keys is not lost: it is raised', async () => {
    const tty = fakeTty();
    tty.write('y\x03');
    let interrupted = 0;
    await discardTypeahead(tty, { onInterrupt: () => interrupted++ });
    expect(interrupted).toBe(1);
  });

  it('does nothing when stdin is not a terminal (piped answers are answers)', async () => {
    const pipe = new PassThrough();
    pipe.write('y\n');
    expect(await discardTypeahead(pipe as never)).toBe(0);
    expect(await nextData(pipe)).toBe('y\n');
  });
});
