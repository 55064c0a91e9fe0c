import { createRedisCloudConnector } from '../../src/connectors/redis-cloud/connector.js';
import { createRedisCloudSimulator } from '../../src/connectors/redis-cloud/simulator.js';
import { runConnectorContract, simControl } from './connector-contract.js';

const apiKey = 'rc-key-7f3a91';
const apiSecretKey = 'rc-secret-4c2e8d';

runConnectorContract({
  type: 'redis-cloud',
  createSimulator: () => createRedisCloudSimulator({ credentials: { apiKey, apiSecretKey }, taskStepMs: 5 }),
  createConnector: (url, deps, options) =>
    createRedisCloudConnector(
      options?.badCredentials
        ? { url, apiKey: 'rc-wrong-key-0000', apiSecretKey: 'rc-wrong-secret-0000' }
        : { url, apiKey, apiSecretKey, taskTimeoutMs: 5_000 },
      deps,
    ),
  secrets: [apiKey, apiSecretKey],
  protectedEmail: 'owner@sandbox.local',
  // Mapping files may spell roles either way; the connector sends the RC-OAS spelling.
  roles: { initial: 'Member', changed: 'viewer' },
  // An invitee must verify before Redis Cloud lets anyone change or delete them (docs/targets.md, Redis Cloud: invitations).
  activate: async (sim, email) => void (await simControl(sim, '/accept', { email })),
  seedAccounts: async (sim, count) => {
    const users = Array.from({ length: count }, (_, i) => ({ email: `seeded.${i}@example.com`, name: `Seeded ${i}`, role: 'Viewer' }));
    await simControl(sim, '/seed', { users });
  },
});
