// The dependency rules of docs/architecture.md, checked on the import specifiers themselves.
import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = resolve(import.meta.dirname, '../src');
const files = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((d) => (d.isDirectory() ? files(join(dir, d.name)) : d.name.endsWith('.ts') ? [join(dir, d.name)] : []));

/** module → the project modules it may import (besides itself and libraries). */
const ALLOWED: Record<string, string[]> = {
  core: [],
  io: ['core', 'crypto'],
  // age encryption (issue 18): header and keys through typage, the payload on node:crypto.
  crypto: ['core'],
  // Everything about what is on a drive: the one owner of the on-drive layout (docs/FORMAT.md).
  layout: ['core', 'io'],
  // Host state: the catalog and the gate baselines, with one rule for a damaged file.
  state: ['core', 'io', 'layout'],
  drives: ['core', 'io', 'layout', 'state'],
  // Readers of encrypted snapshots tell age's typed errors apart (a wrong key from damage).
  snapshot: ['core', 'io', 'crypto', 'layout'],
  verify: ['core', 'io', 'crypto', 'layout'],
  restore: ['core', 'io', 'crypto', 'layout', 'verify'],
  gate: ['core', 'io', 'layout', 'snapshot', 'state'],
  // One use case per file, run in a session; returns typed results, never prints.
  jobs: ['core', 'io', 'crypto', 'layout', 'state', 'drives', 'snapshot', 'verify', 'restore', 'gate'],
  // Renderers: a job's result in, text out (the jobs' result types only: checked below).
  ui: ['core', 'layout', 'jobs'],
  cli: ['core', 'io', 'crypto', 'layout', 'state', 'drives', 'snapshot', 'verify', 'restore', 'gate', 'jobs', 'ui'],
  // The browser page (verify.html): the pure layout parsers it shares with the CLI, no node (below).
  page: ['core', 'layout'],
};

function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  // `from '…'`, `import('…')` and a bare `import '…'` (for its side effects only).
  return [...text.matchAll(/(?:from\s+|import\s*\(\s*|^import\s+)['"]([^'"]+)['"]/gm)].map((m) => m[1]!);
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

  // The product never depends on the benchmark (bench/), the tests (test/) or anything else in
  // the repository outside src/: what ships in dist/ is src/ alone.
  it('nothing under src/ imports from outside src/ (bench/, test/, …)', () => {
    const outside: string[] = [];
    for (const file of files(SRC)) {
      for (const spec of imports(file)) {
        if (!/^(\.|\/|file:)/.test(spec)) continue; // a library or node: builtin
        const target = spec.startsWith('file:') ? fileURLToPath(spec) : resolve(file, '..', spec);
        const rel = relative(SRC, target);
        if (rel.split(sep)[0] === '..' || isAbsolute(rel)) outside.push(`${relative(SRC, file)} imports ${spec}`);
      }
    }
    expect(outside).toEqual([]);
  });

  it('core never touches the filesystem, the process, the clock or randomness', () => {
    for (const file of files(join(SRC, 'core'))) {
      const text = readFileSync(file, 'utf8');
      for (const spec of imports(file)) expect(spec, file).not.toMatch(/^(node:)?(fs|child_process|os|process|crypto)/);
      expect(text, file).not.toMatch(/\bprocess\.|Date\.now\(|new Date\(\)|Math\.random\(/);
    }
  });

  // verify.html runs in a browser: neither the page nor any module of ours it reaches may import
  // a Node builtin (the bundler would fail, or worse, ship a shim that behaves differently).
  it('the page (src/page) and every module it imports, transitively, import no Node builtin', () => {
    const seen = new Set<string>();
    const bad: string[] = [];
    const visit = (file: string): void => {
      if (seen.has(file)) return;
      seen.add(file);
      for (const spec of imports(file)) {
        if (spec.startsWith('.')) visit(resolve(file, '..', spec).replace(/\.js$/, '.ts'));
        else if (spec.startsWith('node:') || builtinModules.includes(spec.split('/')[0]!)) bad.push(`${relative(SRC, file)} imports ${spec}`);
      }
    };
    for (const file of files(join(SRC, 'page'))) visit(file);
    expect(seen.size).toBeGreaterThan(5); // the walk did reach the page and the layout modules
    expect(bad).toEqual([]);
  });

  it('ui takes only the result types of jobs (import type): renderers never run a job', () => {
    for (const file of files(join(SRC, 'ui'))) {
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/^import\s+(type\s+)?[^;]*?from\s+['"](\.\.\/jobs\/[^'"]+)['"]/gm)) {
        expect(m[1], `${relative(SRC, file)} imports ${m[2]} (use import type)`).toBe('type ');
      }
    }
  });

  it('only cli reads argv/env or sets the exit code', () => {
    for (const file of files(SRC).filter((f) => !/^cli\//.test(relative(SRC, f)))) {
      const text = readFileSync(file, 'utf8');
      expect(text, file).not.toMatch(/process\.(argv|env|exitCode|exit\()/);
    }
  });
});

// Small files named after what they do: every file at most 300 lines, every function at most 80,
// except the ones docs/architecture.md names with the reason (kept in step with this list).
const LONG_FUNCTIONS_ALLOWED = ['layout/drive-readme.ts driveReadme'];

describe('size', () => {
  it('every file under src/ has at most 300 lines', () => {
    const long = files(SRC).map((f) => [relative(SRC, f), readFileSync(f, 'utf8').split('\n').length - 1] as const).filter(([, n]) => n > 300);
    expect(long).toEqual([]);
  });

  it('every function has at most 80 lines, apart from the ones docs/architecture.md names', async () => {
    const ts = (await import('typescript')).default;
    const long: string[] = [];
    for (const file of files(SRC)) {
      const sf = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
      const visit = (n: import('typescript').Node): void => {
        if (ts.isFunctionLike(n) && 'body' in n && n.body) {
          const lines = sf.getLineAndCharacterOfPosition(n.getEnd()).line - sf.getLineAndCharacterOfPosition(n.getStart()).line + 1;
          const name = (n as { name?: import('typescript').Node }).name?.getText(sf) ?? '(anonymous)';
          if (lines > 80) long.push(`${relative(SRC, file)} ${name}`);
        }
        ts.forEachChild(n, visit);
      };
      visit(sf);
    }
    expect(long.filter((l) => !LONG_FUNCTIONS_ALLOWED.includes(l))).toEqual([]);
    const docs = readFileSync(resolve(SRC, '../docs/architecture.md'), 'utf8');
    for (const allowed of LONG_FUNCTIONS_ALLOWED) expect(docs, `docs/architecture.md names ${allowed}`).toContain(allowed.split(' ')[1]);
  });
});
