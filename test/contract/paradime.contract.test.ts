import { createParadimeConnector } from '../../src/connectors/paradime/connector.js';
import { paradimeTargetSchema } from '../../src/connectors/paradime/schemas.js';
import { paradimeSandboxAdminEmail } from '../../src/connectors/paradime/simulator-state.js';
import { createParadimeSimulator } from '../../src/connectors/paradime/simulator.js';
import { runConnectorContract, simControl } from './connector-contract.js';

const apiKey = 'prdm-key-5c81e2';
const apiSecret = 'prdm-secret-94d7b0';

runConnectorContract({
  type: 'paradime',
  createSimulator: () => createParadimeSimulator({ credentials: { apiKey, apiSecret } }),
  createConnector: (url, deps, options = {}) =>
    createParadimeConnector(
      paradimeTargetSchema.parse(
        options.badCredentials ? { url, apiKey: 'prdm-key-wrong01', apiSecret: 'prdm-secret-wrong01' } : { url, apiKey, apiSecret },
      ),
      deps,
    ),
  secrets: [apiKey, apiSecret, 'prdm-key-wrong01', 'prdm-secret-wrong01'],
  // Paradime documents no protection; the simulator keeps the last ADMIN (docs/simulators/paradime.md).
  protectedEmail: paradimeSandboxAdminEmail,
  roles: { initial: 'DEVELOPER', changed: 'BUSINESS' },
  activate: async (sim, email) => {
    await simControl(sim, '/accept', { email });
  },
  seedAccounts: async (sim, count) => {
    const users = Array.from({ length: count }, (_, i) => ({ email: `seeded${i}@example.com`, accountType: 'DEVELOPER' }));
    await simControl(sim, '/seed', { users });
  },
});
