import type { SourceIssue } from './yaml-source.js';
import { formatPath } from './yaml-source.js';

/**
 * `${VAR}` interpolation in every string of a parsed YAML tree. `${VAR:-fallback}` gives a
 * default; `$${` writes a literal `${`. A variable that is not set is an error with its path.
 */

const pattern = /\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/** Returns the tree with variables expanded, and one issue per unset variable. */
export function expandEnv(
  value: unknown,
  env: NodeJS.ProcessEnv,
  file: string,
  lineOf: (path: readonly PropertyKey[]) => number | undefined,
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
  const expandString = (text: string, path: PropertyKey[]): string =>
    text.replace(pattern, (whole, name: string | undefined, fallback: string | undefined) => {
      if (whole === '$${') return '${';
      const found = env[name as string];
      if (found !== undefined && found !== '') {
        // Anything taken from the environment is treated as a secret for log redaction.
        secrets.push(found);
        return found;
      }
      if (fallback !== undefined) return fallback;
      const line = lineOf(path);
      issues.push({ file, ...(line !== undefined ? { line } : {}), path: formatPath(path), message: `environment variable ${String(name)} is not set` });
      return '';
    });
  return { value: walk(value, []), issues, secrets };
}
