import { expect } from 'vitest';
import { createRedisEnterpriseConnector } from '../../src/connectors/redis-enterprise/connector.js';
import { createRedisEnterpriseSimulator } from '../../src/connectors/redis-enterprise/simulator.js';
import { runConnectorContract, simControl } from './connector-contract.js';

const username = 'bridge-ops@cluster.example';
const password = 're-pass-7f3a91';

runConnectorContract({
  type: 'redis-enterprise',
  // Complexity on, so every create also proves the generated password passes the cluster's rules.
  createSimulator: () => createRedisEnterpriseSimulator({ credentials: { username, password }, passwordComplexity: true }),
  createConnector: (targetUrl, deps, options) =>
    createRedisEnterpriseConnector({ url: targetUrl, username, password: options?.badCredentials ? 're-wrong-0c4d2e' : password }, deps),
  secrets: [password, 're-wrong-0c4d2e'],
  protectedEmail: username,
  roles: { initial: 'db_viewer', changed: 'db_member' },
  // The cluster's own POST /v1/roles, as an admin creating a custom role would.
  addRole: async (sim, name) => {
    const response = await fetch(`${sim.targetUrl}/v1/roles`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}` },
      body: JSON.stringify({ name, management: 'db_member' }),
    });
    expect(response.status).toBe(200);
    const role = (await response.json()) as { uid: number };
    return `role_uids:[${role.uid}]`;
  },
  seedAccounts: async (sim, count) => {
    const users = Array.from({ length: count }, (_, i) => ({ email: `seeded.${i}@example.com`, name: `Seeded ${i}`, role: 'db_viewer' }));
    await simControl(sim, '/seed', { users });
  },
});
