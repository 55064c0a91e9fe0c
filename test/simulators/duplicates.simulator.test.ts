import { afterEach, describe, expect, it } from 'vitest';
import { connectorRegistry } from '../../src/connectors/registry.js';
import { serveSimulator, type RunningSimulator } from '../../src/connectors/simulator-kit.js';
import { connectorTypes, type Connector, type TargetAccount } from '../../src/connectors/types.js';
import { createSilentLogger } from '../../src/logging/logger.js';
import { expectBridgeError, simControl } from '../contract/connector-contract.js';

/** `allowDuplicateEmails` (docs/simulators.md): off, each simulator refuses a taken email; on, a second account gets in. */

const roles = { 'redis-cloud': 'Viewer', 'redis-enterprise': 'db_viewer', yardstik: 'member', paradime: 'DEVELOPER' } as const;

describe.each(connectorTypes)('%s simulator: duplicate emails', (type) => {
  let sim: RunningSimulator | undefined;
  let connector: Connector | undefined;
  afterEach(async () => {
    await connector?.close();
    await sim?.close();
  });

  const start = async (allowDuplicateEmails?: boolean): Promise<Connector> => {
    const simulator = connectorRegistry[type].createSimulator(allowDuplicateEmails === undefined ? {} : { allowDuplicateEmails });
    sim = await serveSimulator(simulator);
    const target = connectorRegistry[type].targetSchema.parse({ ...simulator.credentials, url: sim.targetUrl, ...(type === 'redis-cloud' ? { taskTimeoutMs: 5_000 } : {}) });
    connector = connectorRegistry[type].createConnector(target as never, { logger: createSilentLogger(), retries: 0 });
    return connector;
  };
  const create = (c: Connector, name: string): Promise<TargetAccount> => c.createAccount({ email: 'twice@example.com', name, givenName: name, familyName: 'Twice', role: roles[type] });
  const withEmail = async (c: Connector): Promise<TargetAccount[]> => {
    // Invitations become accounts (Paradime lists one invitation per email until accepted).
    if (type === 'redis-cloud' || type === 'paradime') await simControl(sim!, '/accept', { email: 'twice@example.com' });
    const found: TargetAccount[] = [];
    for await (const account of c.listAccounts()) if (account.email === 'twice@example.com') found.push(account);
    return found;
  };

  it('refuses a second account with the same email by default', async () => {
    const c = await start();
    await create(c, 'First');
    expect((await expectBridgeError(() => create(c, 'Second'))).code).toBe('TARGET_CONFLICT');
    expect(await withEmail(c)).toHaveLength(1);
  });

  it('lets it in when told to, at start or through PUT /_sim/duplicates', async () => {
    const c = await start(true);
    await create(c, 'First');
    if (type === 'paradime') await simControl(sim!, '/accept', { email: 'twice@example.com' });
    await create(c, 'Second');
    expect(await withEmail(c)).toHaveLength(2);
    await simControl(sim!, '/duplicates', { allowDuplicateEmails: false }, 'PUT');
    expect((await expectBridgeError(() => create(c, 'Third'))).code).toBe('TARGET_CONFLICT');
    expect(await simControl(sim!, '/faults', undefined, 'GET')).toMatchObject({ allowDuplicateEmails: false });
  });
});
