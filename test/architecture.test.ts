// The dependency rules of docs/architecture.md, checked on the import specifiers themselves.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = resolve(import.meta.dirname, '../src');
const files = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((d) => (d.isDirectory() ? files(join(dir, d.name)) : d.name.endsWith('.ts') ? [join(dir, d.name)] : []));

/** module → the project modules it may import (besides itself and libraries). */
const ALLOWED: Record<string, string[]> = {
  core: [],
  io: ['core'],
  drives: ['core', 'io', 'snapshot'],
  snapshot: ['core', 'io'],
  verify: ['core', 'io', 'snapshot'],
  restore: ['core', 'io', 'snapshot', 'verify'],
  gate: ['core', 'io', 'snapshot', 'verify'],
  ui: ['core'],
  cli: ['core', 'io', 'drives', 'snapshot', 'verify', 'restore', 'gate', 'ui'],
  bench: ['core', 'io', 'drives', 'snapshot', 'verify', 'restore', 'gate', 'ui', 'cli'],
};

function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:from\s+|import\s*\(\s*)['"]([^'"]+)['"]/g)].map((m) => m[1]!);
}

describe('architecture', () => {
  for (const file of files(SRC)) {
    const rel = relative(SRC, file);
    const mod = rel.split('/')[0]!;
    it(`${rel} respects the module rules`, () => {
      expect(Object.keys(ALLOWED), `unknown module ${mod}`).toContain(mod);
      for (const spec of imports(file)) {
        if (spec.startsWith('.')) {
          const target = relative(SRC, resolve(file, '..', spec)).split('/')[0]!;
          if (target !== mod) expect(ALLOWED[mod], `${rel} imports ${spec}`).toContain(target);
        }
      }
    });
  }

  it('core never touches the filesystem, the process, the clock or randomness', () => {
    for (const file of files(join(SRC, 'core'))) {
      const text = readFileSync(file, 'utf8');
      for (const spec of imports(file)) expect(spec, file).not.toMatch(/^(node:)?(fs|child_process|os|process|crypto)/);
      expect(text, file).not.toMatch(/\bprocess\.|Date\.now\(|new Date\(\)|Math\.random\(/);
    }
  });

  it('only cli (and the benchmark, another entry point) reads argv/env or sets the exit code', () => {
    for (const file of files(SRC).filter((f) => !/^(cli|bench)\//.test(relative(SRC, f)))) {
      const text = readFileSync(file, 'utf8');
      expect(text, file).not.toMatch(/process\.(argv|env|exitCode|exit\()/);
    }
  });
});
