// The binding rule: a drive is bound by its id; a known name with another id is foreign.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bindingOf } from '../../src/core/drive-binding.js';

const id = fc.constantFrom('id-1', 'id-2', 'id-3');
const facts = fc.record({
  id,
  entry: fc.option(fc.record({ id: fc.option(id, { nil: undefined }) }), { nil: undefined }),
  holder: fc.option(fc.record({ id }), { nil: undefined }),
  known: fc.boolean(),
});

describe('core/drive-binding', () => {
  it('a drive is written (bound or first) only when no other id holds its name, in the config or on this host', () => {
    fc.assert(fc.property(facts, (f) => {
      const b = bindingOf(f);
      const otherInConfig = f.entry?.id !== undefined && f.entry.id !== f.id;
      const otherOnHost = f.entry?.id === undefined && f.holder !== undefined && f.holder.id !== f.id;
      expect(b.status === 'foreign').toBe(otherInConfig || otherOnHost || (f.entry !== undefined && f.entry.id === undefined && !otherOnHost && !f.known));
    }));
  });

  it('a rotation name without an id is bound on sight only to a drive this host already knows; a stranger is foreign until adopted', () => {
    expect(bindingOf({ id: 'id-1', entry: {}, known: true })).toEqual({ status: 'first' });
    expect(bindingOf({ id: 'id-1', entry: {}, known: false })).toEqual({ status: 'foreign', by: 'unknown' });
    expect(bindingOf({ id: 'id-1', entry: { id: 'id-1' }, known: false })).toEqual({ status: 'bound' });
    expect(bindingOf({ id: 'id-1', entry: { id: 'id-2' }, known: true })).toEqual({ status: 'foreign', by: 'config', knownId: 'id-2' });
    expect(bindingOf({ id: 'id-1', entry: {}, holder: { id: 'id-2' }, known: true })).toEqual({ status: 'foreign', by: 'catalog', knownId: 'id-2' });
    // A name outside the rotation: any drive may use it (the catalog still keeps one drive per name).
    expect(bindingOf({ id: 'id-1', known: false })).toEqual({ status: 'bound' });
    expect(bindingOf({ id: 'id-1', holder: { id: 'id-2' }, known: false })).toMatchObject({ status: 'foreign', by: 'catalog' });
  });
});
