import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from './cli-env.js';

/** `scim-bridge --version`: the version of package.json, nothing else, exit 0. */

const packageVersion = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

describe('scim-bridge --version', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'scim-bridge-version-'));

  it.each([['--version'], ['-V']])('%s prints the package version and exits 0', async (flag) => {
    const result = await runCli([flag], dir);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`${packageVersion}\n`);
  });

  it('is listed in --help', async () => {
    const result = await runCli(['--help'], dir);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/-V, --version\s+output the version number/);
  });
});
