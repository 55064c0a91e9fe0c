import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The docs stand alone: every relative link in README.md and docs/ reaches a file of the
 * repository (and a heading, when it names one), and nothing in the docs, the mappings, the
 * code, the tests, the benchmarks or the deployment files cites the developers' notes that users
 * do not have.
 */

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');

function filesUnder(dir: string, extensions: readonly string[]): string[] {
  return readdirSync(path.join(root, dir), { withFileTypes: true }).flatMap((entry) => {
    const relative = path.join(dir, entry.name);
    if (entry.isDirectory()) return filesUnder(relative, extensions);
    return extensions.some((ext) => entry.name.endsWith(ext)) ? [relative] : [];
  });
}

const markdown = ['README.md', ...filesUnder('docs', ['.md'])];

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to "-", repeats numbered. */
export function headingAnchors(text: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  let isCode = false;
  for (const line of text.split('\n')) {
    if (/^\s*(```|~~~)/.test(line)) isCode = !isCode;
    const heading = isCode ? null : /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!heading) continue;
    const plain = (heading[1] ?? '').replace(/\[([^\]]*)\]\([^)]*\)/g, '$1');
    const slug = plain.toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-');
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return anchors;
}

/** Every inline link and image target outside code, with its line. */
export function linksOf(text: string): { target: string; line: number }[] {
  const links: { target: string; line: number }[] = [];
  let isCode = false;
  text.split('\n').forEach((line, index) => {
    if (/^\s*(```|~~~)/.test(line)) {
      isCode = !isCode;
      return;
    }
    if (isCode) return;
    const outsideSpans = line.replace(/`[^`]*`/g, '');
    for (const match of outsideSpans.matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) links.push({ target: match[1] ?? '', line: index + 1 });
  });
  return links;
}

/** The problems with the relative links of one Markdown file. */
function brokenLinks(file: string): string[] {
  const text = readFileSync(path.join(root, file), 'utf8');
  return linksOf(text).flatMap(({ target, line }) => {
    if (/^[a-z][a-z0-9+.-]*:/i.test(target)) return [];
    const [pathPart = '', anchor] = target.split('#');
    const resolved = pathPart === '' ? path.join(root, file) : path.resolve(path.dirname(path.join(root, file)), decodeURIComponent(pathPart));
    const where = `${file}:${line} ${target}`;
    if (!resolved.startsWith(root + path.sep) && resolved !== root) return [`${where}: leaves the repository`];
    if (!existsSync(resolved)) return [`${where}: no such file`];
    if (anchor === undefined || anchor === '' || !resolved.endsWith('.md') || statSync(resolved).isDirectory()) return [];
    return headingAnchors(readFileSync(resolved, 'utf8')).has(anchor) ? [] : [`${where}: no heading with that anchor`];
  });
}

// Developer notes outside the repository: a user can check none of them.
const privateReferences = [/\.\.\/shared/, /DESIGN\.md/, /targets-and-idps(\.md)?/, /\bsheet §/, /\breference (sheet )?§/, /\bfacts sheet\b/];
describe('docs that stand alone', () => {
  it('finds the links it checks (the checker itself works)', () => {
    expect(linksOf('see [a](docs/a.md#b) and `[x](nope.md)`\n```\n[c](c.md)\n```\n![i](img.png "t")')).toEqual([
      { target: 'docs/a.md#b', line: 1 },
      { target: 'img.png', line: 5 },
    ]);
    expect([...headingAnchors('# Hello, World\n## `${VAR}`: values\n## Hello, World\n```\n# not a heading\n```')]).toEqual(['hello-world', 'var-values', 'hello-world-1']);
    expect(markdown.length).toBeGreaterThan(5);
  });

  it.each(markdown)('%s: every relative link reaches a file (and heading) of the repository', (file) => {
    expect(brokenLinks(file)).toEqual([]);
  });

  it('README, docs, mappings, src, test, bench and deploy cite no developer notes (../shared, DESIGN.md, targets-and-idps.md, "sheet §")', () => {
    const code = ['.ts', '.js', '.mjs', '.json', '.yaml', '.yml', '.md', '.sh', '.conf', '.sql', '.txt'];
    const files = [
      ...markdown,
      ...filesUnder('mappings', ['.yaml', '.yml']),
      ...filesUnder('src', ['.ts']),
      // This file's own patterns name what they look for: it is the one file left out.
      ...filesUnder('test', code).filter((file) => file !== path.join('test', 'docs', 'links.test.ts')),
      ...filesUnder('bench', code),
      ...filesUnder('deploy', code),
    ];
    expect(files.some((file) => file.startsWith(`deploy${path.sep}`))).toBe(true);
    expect(files.some((file) => file.startsWith(`bench${path.sep}`))).toBe(true);
    const mentions = files.flatMap((file) =>
      readFileSync(path.join(root, file), 'utf8')
        .split('\n')
        .flatMap((line, index) => (privateReferences.some((pattern) => pattern.test(line)) ? [`${file}:${index + 1}: ${line.trim()}`] : [])),
    );
    expect(mentions).toEqual([]);
  });
});
