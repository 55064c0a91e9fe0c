import type { z } from 'zod';
import { connectorTypes } from '../connectors/types.js';

/**
 * What a configuration or mapping problem says, in the words of the file rather than of zod: a
 * missing block names what belongs there and shows its shape, a bad URL quotes the value as
 * written, and "Too small: expected string to have >=1 characters" becomes "must not be empty".
 * Messages a schema writes itself are kept as they are.
 */

/** What belongs at a path, shown when it is missing (`*` stands for any connection name). */
const missingHints: [pattern: string[], hint: string][] = [
  [['connections'], 'at least one connection, like connections: { redis-cloud: { type: redis-cloud, scim: { tokens: [...] }, target: { url: ..., ... } } }'],
  [['connections', '*', 'type'], `the target type, one of ${connectorTypes.join(', ')}`],
  [['connections', '*', 'scim'], 'the SCIM credentials the IdP sends, like scim: { tokens: ["${SCIM_TOKEN}"] } (or basic: { username, password })'],
  [['connections', '*', 'target'], 'the target API and its credentials, like target: { url: https://..., ... } (the fields of each type: docs/configuration.md, "Target blocks")'],
  [['connections', '*', 'target', 'url'], "the target API's base URL, like url: https://api.example.com"],
];

const nouns: Record<string, string> = { string: 'a string', number: 'a number', boolean: 'true or false', array: 'a list', object: 'a block of fields', record: 'a block of fields' };

/** The message of one zod issue at `path`; `written` is the value as the file has it (before `${VAR}` expansion). */
export function issueMessage(issue: z.core.$ZodIssue, path: readonly PropertyKey[], written: unknown): string {
  const isDefault = /^(Invalid input: expected |Too (small|big): )/.test(issue.message);
  // A key with nothing after it (`scim:`) is null in YAML: as missing as no key at all.
  if (issue.code === 'invalid_type' && (written === undefined || written === null) && isDefault) {
    return `missing: ${hintFor(path) ?? `${nouns[issue.expected] ?? issue.expected} is required here`}`;
  }
  if ((issue.code === 'invalid_format' && issue.format === 'url') || (issue.code === 'custom' && /^expected a URL$/.test(issue.message))) {
    return badUrl(path, written);
  }
  if ((issue.code === 'too_small' || issue.code === 'too_big') && isDefault) return sizeMessage(issue);
  return issue.message.replace(/^Invalid input: /, '');
}

function hintFor(path: readonly PropertyKey[]): string | undefined {
  const keys = path.map(String);
  return missingHints.find(([pattern]) => pattern.length === keys.length && pattern.every((p, i) => p === '*' || p === keys[i]))?.[1];
}

function badUrl(path: readonly PropertyKey[], written: unknown): string {
  const example = path[path.length - 1] === 'publicUrl' ? 'https://scim.example.com' : 'https://api.example.com';
  const head = `expected an http(s) URL like ${example}`;
  if (typeof written !== 'string') return written === undefined ? head : `${head}, got ${JSON.stringify(written)}`;
  const quoted = JSON.stringify(written.length > 120 ? `${written.slice(0, 120)}…` : written);
  return written.includes('${') ? `${head}, got ${quoted} (its value is not shown: values from the environment are treated as secrets)` : `${head}, got ${quoted}`;
}

function sizeMessage(issue: z.core.$ZodIssueTooSmall | z.core.$ZodIssueTooBig): string {
  const isSmall = issue.code === 'too_small';
  const limit = Number(isSmall ? (issue as z.core.$ZodIssueTooSmall).minimum : (issue as z.core.$ZodIssueTooBig).maximum);
  const bound = isSmall ? (issue.inclusive === false ? 'more than' : 'at least') : issue.inclusive === false ? 'less than' : 'at most';
  if (issue.origin === 'string') return isSmall && limit === 1 ? 'must not be empty' : `must be ${bound} ${limit} characters`;
  if (issue.origin === 'array' || issue.origin === 'set') return isSmall && limit === 1 ? 'must list at least one item' : `must list ${bound} ${limit} items`;
  return `must be ${bound} ${limit}`;
}
