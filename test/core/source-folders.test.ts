// core/source-folders.ts: the rules for the folders a user names, as text.
import { describe, expect, it } from 'vitest';
import { expandHome, isSystemRoot, overlap } from '../../src/core/source-folders.js';

describe('source folders', () => {
  it('expands ~ and ~/ only; a comma is an ordinary character', () => {
    expect(expandHome('~', '/home/me')).toBe('/home/me');
    expect(expandHome('~/Letters, 2024', '/home/me')).toBe('/home/me/Letters, 2024');
    expect(expandHome('/srv/a,b', '/home/me')).toBe('/srv/a,b');
    expect(expandHome('~x/y', '/home/me')).toBe('~x/y');
  });

  it('the system root is refused, a folder under it is not', () => {
    expect(isSystemRoot('/')).toBe(true);
    expect(isSystemRoot('/home')).toBe(false);
  });

  it('tells the same folder, a folder inside a chosen one, and one that holds chosen ones', () => {
    expect(overlap('/a/b', ['/a/b'])).toEqual({ kind: 'same', other: '/a/b' });
    expect(overlap('/a/b/c', ['/x', '/a/b'])).toEqual({ kind: 'inside', other: '/a/b' });
    expect(overlap('/a', ['/a/b', '/x', '/a/c/d'])).toEqual({ kind: 'holds', others: ['/a/b', '/a/c/d'] });
    // A shared prefix is not nesting.
    expect(overlap('/a/bc', ['/a/b'])).toBeUndefined();
    expect(overlap('/a/b', ['/a/bc'])).toBeUndefined();
    expect(overlap('/a/..b', ['/a'])).toEqual({ kind: 'inside', other: '/a' });
  });
});
