import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument, type Document } from 'yaml';
import type { z } from 'zod';
import { issueMessage } from './issue-messages.js';

/**
 * YAML files with positions: configuration and mapping errors name the file, the line and the
 * field (`bridge.yaml:12 connections.paradime.target.url: expected a URL`).
 */

/** A parsed YAML file that can tell the line of any path. */
export interface YamlSource {
  file: string;
  value: unknown;
  lineOf(path: readonly PropertyKey[]): number | undefined;
}

/** One problem in a file, ready to print. */
export interface SourceIssue {
  file: string;
  line?: number;
  path: string;
  message: string;
}

/** Reads and parses a YAML file; syntax errors become issues with their line. */
export function readYamlSource(file: string, text?: string): { source?: YamlSource; issues: SourceIssue[] } {
  let content: string;
  try {
    content = text ?? readFileSync(file, 'utf8');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : (err as Error).message;
    return { issues: [{ file, path: '(file)', message: reason }] };
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(content, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const [first] = doc.errors;
  if (first) {
    // Only the first: one bad line makes the parser report every line after it as well.
    const { line, col } = lineCounter.linePos(first.pos[0]);
    return { issues: [{ file, line, path: '(yaml)', message: `${first.message.split('\n')[0] ?? first.message} (column ${col})` }] };
  }
  return { source: { file, value: doc.toJS() as unknown, lineOf: (path) => lineOf(doc, lineCounter, path) }, issues: [] };
}

function lineOf(doc: Document, counter: LineCounter, path: readonly PropertyKey[]): number | undefined {
  for (let depth = path.length; depth >= 0; depth--) {
    const keys = path.slice(0, depth).map((k) => (typeof k === 'symbol' ? String(k) : k));
    const node = doc.getIn(keys, true) as { range?: [number, number, number] } | undefined;
    if (node?.range) return counter.linePos(node.range[0]).line;
  }
  return undefined;
}

/** Turns zod issues into printable issues with the line of each path. */
export function zodIssues(source: YamlSource, issues: readonly z.core.$ZodIssue[], prefix: readonly PropertyKey[] = []): SourceIssue[] {
  return issues.flatMap((issue) => {
    // One issue per unknown key, pointing at the key itself rather than its parent.
    const keys = issue.code === 'unrecognized_keys' ? issue.keys : [undefined];
    return keys.map((key) => {
      const path = [...prefix, ...issue.path, ...(key === undefined ? [] : [key])];
      const line = source.lineOf(path);
      const message = key === undefined ? issueMessage(issue, path, valueAt(source.value, path)) : 'unknown field';
      return { file: source.file, ...(line !== undefined ? { line } : {}), path: formatPath(path), message };
    });
  });
}

/** The value at `path` as the file has it; undefined when any part is missing. */
function valueAt(value: unknown, path: readonly PropertyKey[]): unknown {
  let node = value;
  for (const key of path) {
    if (node === null || typeof node !== 'object' || !Object.hasOwn(node, key)) return undefined;
    node = (node as Record<PropertyKey, unknown>)[key];
  }
  return node;
}

/** `connections.paradime.target.url`, `scim.tokens[0]`. */
export function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((out, key) => (typeof key === 'number' ? `${out}[${key}]` : out === '' ? String(key) : `${out}.${String(key)}`), '') || '(root)';
}

/** `bridge.yaml:12 connections.x.target.url: expected a URL` */
export function formatIssue(issue: SourceIssue): string {
  return `${issue.file}${issue.line !== undefined ? `:${issue.line}` : ''} ${issue.path}: ${issue.message}`;
}
