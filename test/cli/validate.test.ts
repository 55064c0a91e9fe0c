import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasStackTrace, runCli, startCliEnv, type CliEnv } from './cli-env.js';

/** `scim-bridge validate`, and the rule that no command prints a stack trace for a bad config or mapping. */

const connectionYaml = (extra: string[], target: string[] = ['      url: http://127.0.0.1:9']): string =>
  [
    'store: sqlite:./bridge.db',
    'connections:',
    '  rc:',
    '    type: redis-enterprise',
    ...extra,
    '    scim:',
    '      tokens: [long-enough-token-123]',
    '    target:',
    ...target,
    '      username: admin@example.com',
    '      password: x',
    '',
  ].join('\n');

const mappingsDir = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../mappings');

const badMapping = ['type: redis-enterprise', 'roles:', '  default: db_viewer', '  rules:', '    - group: Admins', '      role: emperor', 'deactivate: role:none', ''].join('\n');

describe('scim-bridge validate', () => {
  let env: CliEnv;
  let dir: string;
  const write = (name: string, text: string): string => {
    writeFileSync(path.join(dir, name), text);
    return name;
  };

  beforeAll(async () => {
    env = await startCliEnv({ types: ['redis-enterprise', 'yardstik'] });
    dir = mkdtempSync(path.join(tmpdir(), 'scim-bridge-validate-'));
    write('bad.mapping.yaml', badMapping);
  });
  afterAll(() => env.close());

  it('says OK and lists every connection with its mapping file', async () => {
    const result = await env.run('validate');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^configuration OK: bridge\.yaml/);
    expect(result.stdout).toMatch(/redis-enterprise\s+redis-enterprise\s+eventual\s+\S*mappings\/redis-enterprise\.yaml/);
    expect(result.stdout).toMatch(/yardstik\s+yardstik\s+eventual\s+\S*mappings\/yardstik\.yaml/);
    expect(result.stderr).toBe('');
  });

  it('checks the target credentials with --check-targets', async () => {
    const result = await env.run('validate', '--check-targets');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/target redis-enterprise: reachable/);
    expect(result.stdout).toMatch(/target yardstik: reachable/);
    // The role model assigned rules are checked against: the cluster's roles, none for Yardstik.
    expect(result.stdout).toMatch(/target redis-enterprise: 6 roles published at \/Roles \(role_uids:\[1\], role_uids:\[2\], /);
    expect(result.stdout).not.toMatch(/target yardstik: \d+ roles/);
  });

  it('prints every config problem as file:line path: message and exits 1', async () => {
    const file = write('bad.yaml', connectionYaml(['    colour: blue']).replace('[long-enough-token-123]', '[short]'));
    const result = await runCli(['validate', '--config', file], dir);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('bad.yaml:7 connections.rc.scim.tokens[0]: a SCIM token must be at least 12 characters');
    expect(result.stderr).toContain('bad.yaml:5 connections.rc.colour: unknown field');
    expect(hasStackTrace(result.stderr)).toBe(false);
  });

  it('reports a bad target block with its line', async () => {
    const file = write('bad-target.yaml', connectionYaml([], ['      url: not-a-url']));
    const result = await runCli(['validate', '--config', file], dir);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/bad-target\.yaml:8 connections\.rc\.target\.url: /);
  });

  it('checks the mapping files and reports their problems with file and line', async () => {
    const file = write('bad-mapping.yaml', connectionYaml(['    mapping: bad.mapping.yaml']));
    const result = await runCli(['validate', '--config', file], dir);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/bad\.mapping\.yaml:6 roles\.rules\[0\]\.role: "emperor" is not a Redis Enterprise role/);
    expect(hasStackTrace(result.stderr)).toBe(false);
  });

  it('reports a missing config file and a YAML syntax error without a stack trace', async () => {
    const missing = await runCli(['validate', '--config', 'nowhere.yaml'], dir);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('nowhere.yaml (file): file not found');
    const broken = write('broken.yaml', 'connections:\n  rc: [unclosed\n');
    const syntax = await runCli(['validate', '--config', broken], dir);
    expect(syntax.code).toBe(1);
    expect(syntax.stderr).toMatch(/broken\.yaml:\d+ \(yaml\): /);
    expect(hasStackTrace(missing.stderr + syntax.stderr)).toBe(false);
  });

  it.each([['status'], ['plan'], ['sync'], ['audit'], ['approve', '--connection', 'rc']])('%s prints a bad config without a stack trace', async (...command) => {
    const file = write('bad-all.yaml', connectionYaml([]).replace('[long-enough-token-123]', '[short]'));
    const result = await runCli([...command, '--config', file], dir);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('bad-all.yaml:6 connections.rc.scim.tokens[0]');
    expect(hasStackTrace(result.stderr)).toBe(false);
  });

  it.each([['plan'], ['sync']])('%s prints a bad mapping without a stack trace', async (command) => {
    const file = write('bad-map-all.yaml', connectionYaml(['    mapping: bad.mapping.yaml']));
    const result = await runCli([command, '--config', file], dir);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('bad.mapping.yaml:6 roles.rules[0].role');
    expect(hasStackTrace(result.stderr)).toBe(false);
  });

  it('shows only the first YAML syntax error of a bad line, with its line and column', async () => {
    const file = write('bad-indent.yaml', connectionYaml([]).replace('    scim:\n', '   oops: [x\n    scim:\n'));
    const result = await runCli(['validate', '--config', file], dir);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^scim-bridge: invalid configuration or mapping \(1 problem\):\n {2}bad-indent\.yaml:5 \(yaml\): .+ \(column \d+\)\n$/);
  });

  it('reports an unset variable in one line: which variable, where', async () => {
    const file = write('unset.yaml', connectionYaml([]).replace('[long-enough-token-123]', '["${I13_UNSET_TOKEN}"]'));
    const result = await runCli(['validate', '--config', file], dir);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('scim-bridge: invalid configuration or mapping (1 problem):\n  unset.yaml:6 connections.rc.scim.tokens[0]: environment variable I13_UNSET_TOKEN is not set\n');
  });

  it('says which block is missing and shows its shape', async () => {
    const file = write('no-scim.yaml', connectionYaml([]).replace('    scim:\n      tokens: [long-enough-token-123]\n', ''));
    const result = await runCli(['validate', '--config', file], dir);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('no-scim.yaml:4 connections.rc.scim: missing: the SCIM credentials the IdP sends, like scim: { tokens: ["${SCIM_TOKEN}"] }');
    expect(result.stderr).not.toContain('received undefined');
  });

  it('lists the webhooks by name and origin, never their path, query or secret', async () => {
    const notify = ['notify:', '  webhooks:', '    - name: ops', '      url: https://alerts.example.com/in/abc?token=query-token-123', '      secret: webhook-secret-0123456789', '      events: [held, failed]', '    - url: https://hooks.slack.com/services/T0/B0/slack-path-token', '      format: slack', ''].join('\n');
    const file = write('notify.yaml', connectionYaml(['    mapping: ' + mappingsDir + '/redis-enterprise.yaml']) + notify);
    const result = await runCli(['validate', '--config', file], dir);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/ops\s+https:\/\/alerts\.example\.com\s+generic\s+yes\s+held,failed/);
    expect(result.stdout).toMatch(/webhook-2\s+https:\/\/hooks\.slack\.com\s+slack\s+no\s+held,failed,unsupported,drift,target-unreachable/);
    for (const secret of ['query-token-123', 'webhook-secret-0123456789', 'slack-path-token', '/in/abc']) expect(result.stdout).not.toContain(secret);
  });

  it('quotes a bad URL', async () => {
    const file = write('bad-url.yaml', connectionYaml([], ['      url: htp//cluster.example.com:9443']));
    const result = await runCli(['validate', '--config', file], dir);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('bad-url.yaml:8 connections.rc.target.url: expected an http(s) URL like https://api.example.com, got "htp//cluster.example.com:9443"');
  });

  it('serve names the address that is already in use', async () => {
    const busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    try {
      const port = (busy.address() as AddressInfo).port;
      const file = write('busy.yaml', connectionYaml([]).replace('store: sqlite:./bridge.db', `store: sqlite:./bridge.db\nlisten: { host: 127.0.0.1, port: ${port} }`).replace('    type: redis-enterprise\n', `    type: redis-enterprise\n    mapping: ${mappingsDir}/redis-enterprise.yaml\n`));
      const result = await runCli(['serve', '--config', file], dir, { LOG_LEVEL: 'error' });
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`address already in use 127.0.0.1:${port}`);
    } finally {
      busy.close();
    }
  });

  it('names the connections when --connection names none', async () => {
    const result = await env.run('status', '--connection', 'nope');
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('no connection "nope" in bridge.yaml; connections: redis-enterprise, yardstik');
  });
});
