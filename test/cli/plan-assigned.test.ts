import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConnectionPlan } from '../../src/commands/plan.js';
import { ctx, userInput } from '../store/fixtures.js';
import { startCliEnv, type CliEnv } from './cli-env.js';

/** `scim-bridge plan` with an `assigned: roles` rule: which users the IdP's assignments change, and what is ignored. */

const mapping = `
type: paradime
roles:
  default: DEVELOPER
  rules:
    - assigned: roles
`;

describe('scim-bridge plan with roles assigned in the IdP', () => {
  let env: CliEnv;
  beforeAll(async () => {
    env = await startCliEnv({ types: ['paradime'], mappings: { paradime: mapping } });
    const create = (userName: string, roles: { value: string }[]) => {
      const emails = [{ value: userName, type: 'work', primary: true }];
      return env.store.createUser('paradime', userInput(userName, { emails, attributes: { active: true, emails, roles } }), ctx());
    };
    await create('admin@example.com', [{ value: 'ADMIN' }]);
    await create('astronaut@example.com', [{ value: 'Astronaut' }]);
    await create('plain@example.com', []);
  });
  afterAll(() => env.close());

  it('marks the users an assigned rule changes, and warns about values the target has no role for', async () => {
    const json = await env.run('plan', '--json');
    expect(json.code).toBe(0);
    const [plan] = (JSON.parse(json.stdout) as { connections: ConnectionPlan[] }).connections;
    const user = (name: string) => plan?.users.find((u) => u.userName === name);
    expect(user('admin@example.com')?.decision).toMatchObject({ kind: 'present', role: 'ADMIN', rule: 0, assigned: true, reason: 'roles assigned in the IdP: "ADMIN" → ADMIN' });
    expect(user('astronaut@example.com')?.decision).toMatchObject({ role: 'DEVELOPER', rule: null, warnings: ['roles: "Astronaut" is not a role of this target (see /Roles); ignored'] });
    expect(user('plain@example.com')?.decision).not.toHaveProperty('warnings');

    const text = await env.run('plan');
    expect(text.stdout).toMatch(/admin@example\.com\n\s+decision\s+present: roles assigned in the IdP: "ADMIN" → ADMIN \(roles\.rules\[0\], assigned in the IdP\)\n/);
    expect(text.stdout).toMatch(/astronaut@example\.com\n\s+decision\s+present: default → DEVELOPER\n\s+warning\s+roles: "Astronaut" is not a role of this target/);
    expect(text.stdout).toContain('changed by roles assigned in the IdP: 1 user (admin@example.com)');
  });
});
