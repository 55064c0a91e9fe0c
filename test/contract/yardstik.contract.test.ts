import { createYardstikConnector } from '../../src/connectors/yardstik/connector.js';
import { yardstikTargetSchema } from '../../src/connectors/yardstik/schemas.js';
import { createYardstikSimulator } from '../../src/connectors/yardstik/simulator.js';
import { runConnectorContract, simControl } from './connector-contract.js';

const accountId = '7d1f2c3b-4a5e-4f60-8a7b-9c0d1e2f3a4b';
const apiKey = 'ys-key-5c2e88f1';
const wrongKey = 'ys-wrong-0b9d44';
const ownerEmail = 'owner.contract@yardstik.test';

runConnectorContract({
  type: 'yardstik',
  createSimulator: () => createYardstikSimulator({ credentials: { accountId, apiKey }, ownerEmail }),
  createConnector: (targetUrl, deps, options) =>
    createYardstikConnector(yardstikTargetSchema.parse({ url: targetUrl, accountId, apiKey: options?.badCredentials ? wrongKey : apiKey }), deps),
  secrets: [apiKey, wrongKey],
  protectedEmail: ownerEmail,
  roles: { initial: 'member', changed: 'member' },
  seedAccounts: async (sim, count) => {
    const users = Array.from({ length: count }, (_, i) => ({ email_address: `seeded${i}@example.com`, first_name: 'Seeded', last_name: `User ${i}` }));
    await simControl(sim, '/seed', { users });
  },
});
