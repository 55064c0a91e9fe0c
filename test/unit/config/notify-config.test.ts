import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfigFile } from '../../../src/config/load.js';
import { namedWebhooks } from '../../../src/config/notify-schema.js';

const base = `
connections:
  yardstik:
    type: yardstik
    scim: { tokens: [yardstik-token-0123456789] }
    target: { url: https://api.yardstik.com, apiKey: ys-key-0123456789, accountId: 6f1c2d3e-4b5a-4c7d-8e9f-0a1b2c3d4e5f }
`;

const load = (notify: string, env: NodeJS.ProcessEnv = {}) => loadConfigFile('/etc/bridge.yaml', env, `${base}${notify}`);

const issuesOf = (notify: string, env: NodeJS.ProcessEnv = {}): string[] => {
  try {
    load(notify, env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).issues.map((i) => `${i.path}: ${i.message}`);
  }
  throw new Error('expected a ConfigError');
};

describe('notify configuration', () => {
  it('reads webhooks with their secrets from the environment or a file, with defaults, and treats secret and URL as secrets', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'scim-bridge-notify-'));
    writeFileSync(path.join(dir, 'hook-secret'), 'file-secret-0123456789\n');
    const loaded = load(`
notify:
  webhooks:
    - url: https://hooks.example.com/scim?token=\${HOOK_TOKEN}
      secret: \${NOTIFY_SECRET}
    - name: slack
      url: https://hooks.slack.com/services/T0/B0/XYZ
      format: slack
      events: [held, target-unreachable]
      secret: \${file:${path.join(dir, 'hook-secret')}}
`, { HOOK_TOKEN: 'query-token-abc', NOTIFY_SECRET: 'env-secret-0123456789' });
    const hooks = namedWebhooks(loaded.config.notify);
    expect(hooks).toEqual([
      { name: 'webhook-1', url: 'https://hooks.example.com/scim?token=query-token-abc', secret: 'env-secret-0123456789', format: 'generic', events: ['held', 'failed', 'unsupported', 'drift', 'target-unreachable'], maxPerMinute: 6 },
      { name: 'slack', url: 'https://hooks.slack.com/services/T0/B0/XYZ', secret: 'file-secret-0123456789', format: 'slack', events: ['held', 'target-unreachable'], maxPerMinute: 6 },
    ]);
    expect(loaded.secrets).toEqual(expect.arrayContaining(['env-secret-0123456789', 'file-secret-0123456789', 'https://hooks.slack.com/services/T0/B0/XYZ', 'https://hooks.example.com/scim?token=query-token-abc']));
  });

  it('lets a Slack webhook go unsigned, never a generic one', () => {
    expect(namedWebhooks(load('notify: { webhooks: [{ url: "https://hooks.slack.com/services/T/B/X", format: slack }] }').config.notify)[0]?.secret).toBeUndefined();
    expect(issuesOf('notify: { webhooks: [{ url: "https://hooks.example.com/x" }] }')).toEqual([expect.stringMatching(/^notify\.webhooks\[0\]\.secret: required with format generic/)]);
  });

  it('names each mistake without showing a URL that may hold a token', () => {
    const issues = issuesOf(`
notify:
  webhooks:
    - { name: a, url: "ftp://files.example.com/drop", secret: short }
    - { name: b, url: "not a url with secret-token-xyz", events: [held, paged], secret: long-enough-secret-0123 }
`);
    expect(issues).toEqual([
      'notify.webhooks[0].url: expected an http:// or https:// URL, not ftp://',
      'notify.webhooks[0].secret: a webhook secret must be at least 16 characters',
      'notify.webhooks[1].url: expected an http:// or https:// URL (the value is not shown: it may hold a token)',
      'notify.webhooks[1].events[1]: expected one of held, failed, unsupported, drift, target-unreachable',
    ]);
    expect(issues.join('\n')).not.toContain('secret-token-xyz');
    const twice = '{ name: a, url: "https://a.example.com", secret: long-enough-secret-0123 }';
    expect(issuesOf(`notify: { webhooks: [${twice}, ${twice}] }`)).toEqual(['notify.webhooks[1].name: the name a is used twice']);
    expect(issuesOf('notify: { webhooks: [] }')).toEqual(['notify.webhooks: list at least one webhook']);
  });
});
