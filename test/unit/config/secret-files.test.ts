import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfigFile } from '../../../src/config/load.js';

/** Secrets from files, as Docker and Kubernetes mount them: `${file:...}` and the VAR_FILE convention. */

const dir = mkdtempSync(path.join(tmpdir(), 'scim-bridge-secrets-'));
const secret = (name: string, content: string): string => {
  const file = path.join(dir, name);
  writeFileSync(file, content);
  return file;
};
const TOKEN_FILE = secret('scim-token', 'token-from-a-file-0123456789\n');
const KEY_FILE = secret('signing-key', 'signing-key-from-a-file-0123456789abcdef\r\n');
secret('client-secret', 'client-secret-from-file-0123456789');
secret('empty', '\n');
mkdirSync(path.join(dir, 'a-folder'));

const config = (scim: string, extra = ''): string => `
${extra}
connections:
  yardstik:
    type: yardstik
    scim: ${scim}
    target: { url: http://127.0.0.1:1, accountId: "00000000-0000-4000-8000-000000000001", apiKey: "\${YS_KEY}" }
`;
const load = (text: string, env: NodeJS.ProcessEnv) => loadConfigFile(path.join(dir, 'bridge.yaml'), env, text);
const issuesOf = (text: string, env: NodeJS.ProcessEnv): string[] => {
  try {
    load(text, env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).issues.map((i) => `${i.path}: ${i.message}`);
  }
  throw new Error('expected a ConfigError');
};

describe('secrets from files', () => {
  it('reads ${file:/absolute/path} and ${file:relative} (to the config file), without the trailing line break', () => {
    const loaded = load(config(`{ tokens: ["\${file:${TOKEN_FILE}}"], oauth: { clientId: entra, clientSecret: "\${file:client-secret}" } }`, `http: { tokenSigningKey: "\${file:${KEY_FILE}}" }`), { YS_KEY: 'ys-key-from-env-01' });
    expect(loaded.connections[0]?.scim.tokens).toEqual(['token-from-a-file-0123456789']);
    expect(loaded.connections[0]?.scim.oauth?.[0]?.clientSecret).toBe('client-secret-from-file-0123456789');
    expect(loaded.config.http.tokenSigningKey).toEqual(['signing-key-from-a-file-0123456789abcdef']);
    expect(loaded.secrets).toEqual(expect.arrayContaining(['token-from-a-file-0123456789', 'client-secret-from-file-0123456789', 'signing-key-from-a-file-0123456789abcdef']));
  });

  it('reads the file VAR_FILE names when VAR is unset (the convention of official container images)', () => {
    const loaded = load(config('{ tokens: ["${SCIM_TOKEN}"] }'), { SCIM_TOKEN_FILE: TOKEN_FILE, YS_KEY_FILE: path.join(dir, 'client-secret') });
    expect(loaded.connections[0]?.scim.tokens).toEqual(['token-from-a-file-0123456789']);
    expect(loaded.connections[0]?.target.apiKey).toBe('client-secret-from-file-0123456789');
    expect(loaded.secrets).toEqual(expect.arrayContaining(['token-from-a-file-0123456789', 'client-secret-from-file-0123456789']));
  });

  it('says which file cannot be used, and why, with the field it was for', () => {
    const issues = issuesOf(config(`{ tokens: ["\${file:${path.join(dir, 'missing')}}", "\${file:empty}", "\${file:a-folder}", "\${SCIM_TOKEN}"] }`), { YS_KEY: 'ys-key-from-env-01', SCIM_TOKEN: 'x'.repeat(20), SCIM_TOKEN_FILE: TOKEN_FILE });
    // (The schema may add its own line about the empty value; that wording is not this test's.)
    expect(issues).toEqual(expect.arrayContaining([
      `connections.yardstik.scim.tokens[0]: cannot read the secret file ${path.join(dir, 'missing')} (named by \${file:...}): no such file`,
      'connections.yardstik.scim.tokens[1]: cannot read the secret file empty (named by ${file:...}): the file is empty',
      'connections.yardstik.scim.tokens[2]: cannot read the secret file a-folder (named by ${file:...}): not a regular file',
      'connections.yardstik.scim.tokens[3]: both SCIM_TOKEN and SCIM_TOKEN_FILE are set: set one of them',
    ]));
  });

  it('a missing VAR_FILE target is reported like a missing file', () => {
    expect(issuesOf(config('{ tokens: ["${SCIM_TOKEN}"] }'), { YS_KEY: 'ys-key-from-env-01', SCIM_TOKEN_FILE: '/nonexistent/token' })).toEqual(
      expect.arrayContaining(['connections.yardstik.scim.tokens[0]: cannot read the secret file /nonexistent/token (named by SCIM_TOKEN_FILE): no such file']),
    );
  });
});
