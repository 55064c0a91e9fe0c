import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { SourceIssue } from './yaml-source.js';
import { formatPath } from './yaml-source.js';

/**
 * `${VAR}` interpolation in every string of a parsed YAML tree. `${VAR:-fallback}` gives a
 * default; `$${` writes a literal `${`. A variable that is not set is an error with its path.
 * Secrets can also come from files, as container orchestrators mount them (Docker and
 * Kubernetes secrets under /run/secrets): `${file:/run/secrets/x}` reads a file, and `${VAR}`
 * with VAR unset reads the file VAR_FILE names. Trailing line breaks are dropped.
 */

const pattern = /\$\$\{|\$\{(?:file:([^}]+)|([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?)\}/g;

/** A secret file larger than this is a mistake (a wrong path), not a secret. */
const MAX_SECRET_FILE_BYTES = 64 * 1024;

/** Options of {@link expandEnv}. */
export interface ExpandOptions {
  /** Where relative `${file:...}` paths start: the configuration file's folder. */
  baseDir?: string;
}

/** Returns the tree with variables expanded, and one issue per unset variable or unreadable file. */
export function expandEnv(
  value: unknown,
  env: NodeJS.ProcessEnv,
  file: string,
  lineOf: (path: readonly PropertyKey[]) => number | undefined,
  options: ExpandOptions = {},
): { value: unknown; issues: SourceIssue[]; secrets: string[] } {
  const issues: SourceIssue[] = [];
  const secrets: string[] = [];
  const walk = (node: unknown, path: PropertyKey[]): unknown => {
    if (typeof node === 'string') return expandString(node, path);
    if (Array.isArray(node)) return node.map((item, i) => walk(item, [...path, i]));
    if (node !== null && typeof node === 'object') {
      return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, walk(v, [...path, k])]));
    }
    return node;
  };
  const report = (where: PropertyKey[], message: string): string => {
    const line = lineOf(where);
    issues.push({ file, ...(line !== undefined ? { line } : {}), path: formatPath(where), message });
    return '';
  };
  const fromFile = (secretPath: string, where: PropertyKey[], namedBy: string): string => {
    const read = readSecretFile(secretPath, options.baseDir);
    if ('problem' in read) return report(where, `cannot read the secret file ${secretPath} (${namedBy}): ${read.problem}`);
    // Anything taken from a file is a secret, like anything taken from the environment.
    secrets.push(read.value);
    return read.value;
  };
  const expandString = (text: string, path: PropertyKey[]): string =>
    text.replace(pattern, (whole, secretPath: string | undefined, name: string | undefined, fallback: string | undefined) => {
      if (whole === '$${') return '${';
      if (secretPath !== undefined) return fromFile(secretPath.trim(), path, `named by \${file:...}`);
      const found = env[name as string];
      const fileVariable = `${String(name)}_FILE`;
      const viaFile = env[fileVariable];
      if (found !== undefined && found !== '') {
        if (viaFile !== undefined && viaFile !== '') return report(path, `both ${String(name)} and ${fileVariable} are set: set one of them`);
        // Anything taken from the environment is treated as a secret for log redaction.
        secrets.push(found);
        return found;
      }
      if (viaFile !== undefined && viaFile !== '') return fromFile(viaFile, path, `named by ${fileVariable}`);
      if (fallback !== undefined) return fallback;
      return report(path, `environment variable ${String(name)} is not set`);
    });
  return { value: walk(value, []), issues, secrets };
}

/** The content of a secret file without trailing line breaks, or why it cannot be used. */
function readSecretFile(secretPath: string, baseDir: string | undefined): { value: string } | { problem: string } {
  const resolved = path.resolve(baseDir ?? process.cwd(), secretPath);
  try {
    const stat = statSync(resolved);
    if (!stat.isFile()) return { problem: 'not a regular file' };
    if (stat.size > MAX_SECRET_FILE_BYTES) return { problem: `larger than ${MAX_SECRET_FILE_BYTES / 1024} KB` };
    const value = readFileSync(resolved, 'utf8').replace(/[\r\n]+$/, '');
    return value === '' ? { problem: 'the file is empty' } : { value };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return { problem: code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code ?? 'unreadable' };
  }
}
