import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/**
 * The import direction of `src/` (README, "Layout"): data flows
 * http → scim → directory/outbox → sync → mapping → connectors, and no import runs against it.
 * The store (`directory/`) is the outbox between the two halves: scim writes desired state and
 * jobs into it, sync claims the jobs and writes sync state back; both import it, it imports
 * neither. `filter/` (the SCIM filter grammar) and `net/` (listening sockets) are leaves every
 * layer may use. Type-only imports count: a type is a dependency too.
 */

const srcDir = path.resolve(import.meta.dirname, '../../src');

/** What each folder (or root file) of src/ may import besides itself; `*` is anything (composition roots). */
const allowed: Record<string, readonly string[]> = {
  'main.ts': ['*'],
  'cli.ts': ['*'],
  commands: ['*'],
  http: ['scim', 'directory', 'observability', 'config', 'filter', 'net', 'logging', 'errors.ts'],
  scim: ['directory', 'filter', 'logging', 'errors.ts'],
  directory: ['filter', 'logging', 'errors.ts'],
  observability: ['sync', 'directory', 'connectors', 'config', 'logging', 'errors.ts'],
  sync: ['directory', 'mapping', 'connectors', 'config', 'logging', 'errors.ts'],
  // Webhooks: sync hands its events to a notifier (an interface of sync/), this queues and sends them.
  notify: ['sync/notifier.ts', 'directory', 'config', 'logging', 'errors.ts'],
  // Pure: each target's role model is handed in, never looked up in the connector registry.
  mapping: ['connectors/types.ts', 'config/yaml-source.ts', 'filter', 'errors.ts'],
  config: ['connectors', 'logging', 'errors.ts'],
  connectors: ['net', 'logging', 'errors.ts'],
  logging: ['errors.ts'],
  filter: [],
  net: [],
  'errors.ts': [],
};

/** Packages the pure mapping layer must not reach, even through another module. */
const ioPackages = ['express', 'undici', 'graphql', 'pg', 'better-sqlite3', 'prom-client', 'node:http', 'node:https', 'node:net'];

interface ImportEdge {
  from: string;
  /** A file of src/ (relative, `scim/users.ts`) or a package name. */
  to: string;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith('.ts') ? [path.relative(srcDir, full).split(path.sep).join('/')] : [];
  });
}

/** Every import, `import type`, `export ... from` and `import()` of every file of src/. */
function importsOf(file: string): ImportEdge[] {
  const text = readFileSync(path.join(srcDir, file), 'utf8');
  return ts.preProcessFile(text, true, true).importedFiles.map(({ fileName }) => {
    if (!fileName.startsWith('.')) return { from: file, to: fileName };
    const resolved = path.posix.normalize(path.posix.join(path.posix.dirname(file), fileName)).replace(/\.js$/, '.ts');
    return { from: file, to: resolved };
  });
}

/** The folder of a src/ file (`scim`), or the file itself at the root (`main.ts`). */
const unitOf = (file: string): string => (file.includes('/') ? (file.split('/')[0] as string) : file);

function isAllowed(edge: ImportEdge): boolean {
  const from = unitOf(edge.from);
  const to = unitOf(edge.to);
  if (from === to) return true;
  const rules = allowed[from];
  if (rules === undefined) return false;
  return rules.includes('*') || rules.includes(to) || rules.includes(edge.to);
}

/** The imports between files of src/ that the table does not allow. */
function violations(all: readonly ImportEdge[]): string[] {
  return all.filter((e) => e.to.endsWith('.ts') && !isAllowed(e)).map((e) => `${e.from} imports ${e.to}`);
}

const files = sourceFiles(srcDir);
const edges = files.flatMap(importsOf);

describe('import direction of src/', () => {
  it('every folder of src/ is in the table', () => {
    expect([...new Set(files.map(unitOf))].filter((unit) => allowed[unit] === undefined)).toEqual([]);
  });

  it('no import runs against the data flow', () => {
    expect(violations(edges)).toEqual([]);
  });

  it('the table itself has no cycle between folders (composition roots aside)', () => {
    const graph = new Map(Object.entries(allowed).filter(([, to]) => !to.includes('*')).map(([from, to]) => [from, to.map(unitOf)]));
    const visiting = new Set<string>();
    const done = new Set<string>();
    const cycles: string[] = [];
    const visit = (unit: string, trail: string[]): void => {
      if (done.has(unit)) return;
      if (visiting.has(unit)) {
        cycles.push([...trail, unit].join(' → '));
        return;
      }
      visiting.add(unit);
      for (const next of graph.get(unit) ?? []) visit(next, [...trail, unit]);
      visiting.delete(unit);
      done.add(unit);
    };
    for (const unit of graph.keys()) visit(unit, []);
    expect(cycles).toEqual([]);
  });

  it('the leaves import nothing of the project: filter/ not even a package, net/ only node and selfsigned', () => {
    const from = (unit: string): ImportEdge[] => edges.filter((e) => unitOf(e.from) === unit && unitOf(e.to) !== unit);
    expect(from('filter').map((e) => e.to)).toEqual([]);
    expect(from('net').map((e) => e.to).filter((to) => !to.startsWith('node:') && to !== 'selfsigned')).toEqual([]);
  });

  it('mapping/ reaches no HTTP, database or metrics library, even through another module', () => {
    const reached = new Set<string>();
    const pending = files.filter((f) => unitOf(f) === 'mapping');
    for (let file = pending.pop(); file !== undefined; file = pending.pop()) {
      if (reached.has(file)) continue;
      reached.add(file);
      for (const edge of edges.filter((e) => e.from === file)) if (edge.to.endsWith('.ts')) pending.push(edge.to);
    }
    const packages = [...new Set(edges.filter((e) => reached.has(e.from) && !e.to.endsWith('.ts')).map((e) => e.to))];
    expect(packages.filter((p) => ioPackages.some((io) => p === io || p.startsWith(`${io}/`)))).toEqual([]);
    expect([...reached].filter((f) => f.startsWith('connectors/') && f !== 'connectors/types.ts')).toEqual([]);
  });
});
