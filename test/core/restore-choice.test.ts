// core/restore-choice.ts: a restore that does not name a snapshot never takes a SUSPECT one.
import { describe, expect, it } from 'vitest';
import { chooseRestoreSnapshot, type RestoreCandidate } from '../../src/core/restore-choice.js';
import { Mulberry32 } from '../helpers/prng.js';

const snap = (id: string, suspect = false, complete = true): RestoreCandidate => ({ id, suspect, complete });

describe('chooseRestoreSnapshot', () => {
  it('property: unnamed (none, latest or a day), the choice is the newest complete non-suspect of the pool, and every newer complete one it passed over is suspect', () => {
    const rng = new Mulberry32(17);
    for (let round = 0; round < 500; round++) {
      const n = Math.floor(rng.float() * 8);
      const list: RestoreCandidate[] = [];
      for (let i = 0; i < n; i++) {
        const day = 1 + Math.floor((i * 3) / 4);
        list.push(snap(`2026-06-0${day}T${String(10 + i).padStart(2, '0')}0000Z`, rng.float() < 0.4, rng.float() < 0.85));
      }
      for (const wanted of [undefined, 'latest', '2026-06-01', '2026-06-02']) {
        const pool = list.filter((s) => s.complete && (!wanted || wanted === 'latest' || s.id.startsWith(wanted)));
        const c = chooseRestoreSnapshot(list, wanted, 'A');
        const good = pool.filter((s) => !s.suspect);
        if (good.length === 0) {
          expect(c.ok).toBe(false);
          continue;
        }
        if (!c.ok) throw new Error(`refused: ${c.message}`);
        expect(c.id).toBe(good.at(-1)!.id);
        expect(list.find((s) => s.id === c.id)!.suspect).toBe(false);
        expect(c.skipped).toEqual(pool.filter((s) => s.id > c.id).map((s) => s.id).reverse());
      }
    }
  });

  it('a snapshot named by its id is taken as it is, suspect or not', () => {
    expect(chooseRestoreSnapshot([snap('2026-06-01T100000Z'), snap('2026-06-02T100000Z', true)], '2026-06-02T100000Z', 'A')).toEqual({ ok: true, id: '2026-06-02T100000Z', skipped: [] });
  });

  it('says why it cannot choose: only suspects (naming one), none, none that day, an unknown id', () => {
    expect(chooseRestoreSnapshot([snap('2026-06-01T100000Z', true)], undefined, 'A')).toMatchObject({ ok: false, code: 'only-suspect', hint: expect.stringContaining('--snapshot 2026-06-01T100000Z') });
    expect(chooseRestoreSnapshot([snap('2026-06-01T100000Z', false, false)], undefined, 'A')).toMatchObject({ ok: false, code: 'no-snapshots' });
    expect(chooseRestoreSnapshot([snap('2026-06-01T100000Z')], '2026-06-03', 'A')).toMatchObject({ ok: false, code: 'no-snapshot-that-day', message: 'drive A holds no complete snapshot from 2026-06-03 (UTC)' });
    expect(chooseRestoreSnapshot([snap('2026-06-01T100000Z')], '2026-06-01T100001Z', 'A')).toMatchObject({ ok: false, code: 'unknown-snapshot' });
  });
});
