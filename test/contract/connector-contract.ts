import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ConnectorDeps } from '../../src/connectors/definition.js';
import { serveSimulator, type Fault, type RunningSimulator, type SimRequestRecord, type Simulator } from '../../src/connectors/simulator-kit.js';
import { hasRole, type Connector, type ConnectorType, type TargetAccount, type TargetRole } from '../../src/connectors/types.js';
import { BridgeError } from '../../src/errors.js';
import { createSilentLogger } from '../../src/logging/logger.js';

/**
 * The one contract every connector passes against its own simulator. A `<type>.contract.test.ts`
 * calls {@link runConnectorContract} with a small harness; nothing here knows a target.
 */
export interface ContractHarness {
  type: ConnectorType;
  /** A fresh simulator, already holding a protected account (owner or the API key's own user). */
  createSimulator(): Simulator;
  /** Builds a connector against `targetUrl`; `badCredentials` swaps every secret for a wrong one. */
  createConnector(targetUrl: string, deps: ConnectorDeps, options?: { badCredentials?: boolean }): Connector;
  /** Secret values the connector is configured with: none may appear in any error. */
  secrets: string[];
  /** Email of the account the target protects (its owner, or the API key's user). */
  protectedEmail: string;
  /** Two different roles the target accepts; new accounts are created with `initial`. */
  roles: { initial: string; changed: string };
  /** Makes a just-created account fully usable (accept an invitation). Omit when creation is immediate. */
  activate?(sim: RunningSimulator, email: string): Promise<void>;
  /** Live role catalogs: creates a role in the target the way an admin would; returns the id listRoles should show for it. */
  addRole?(sim: RunningSimulator, name: string): Promise<string>;
  /** Seeds `count` plain accounts straight into the simulator (for the long-list test). */
  seedAccounts(sim: RunningSimulator, count: number): Promise<void>;
}

const deps = (overrides: Partial<ConnectorDeps> = {}): ConnectorDeps => ({
  logger: createSilentLogger(),
  timeoutMs: 2_000,
  retries: 2,
  backoffMs: 20,
  ...overrides,
});

/** Posts to a simulator's control API. */
export async function simControl(sim: RunningSimulator, path: string, body?: unknown, method = 'POST'): Promise<unknown> {
  const response = await fetch(`${sim.url}/_sim${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (response.status >= 300) throw new Error(`control ${method} ${path} answered ${response.status}: ${await response.text()}`);
  return response.status === 204 ? undefined : response.json();
}

/** Injects faults into the simulator's next target requests. */
export function injectFault(sim: RunningSimulator, fault: Fault | Fault[]): Promise<unknown> {
  return simControl(sim, '/faults', fault);
}

/** The simulator's log of target requests. */
export async function simRequests(sim: RunningSimulator): Promise<SimRequestRecord[]> {
  return (await simControl(sim, '/requests', undefined, 'GET')) as SimRequestRecord[];
}

/** Runs `fn`, expecting a BridgeError; returns it. */
export async function expectBridgeError(fn: () => Promise<unknown>): Promise<BridgeError> {
  try {
    await fn();
  } catch (err) {
    expect(err).toBeInstanceOf(BridgeError);
    return err as BridgeError;
  }
  throw new Error('expected a BridgeError, got success');
}

/** Whether a logged request wrote to the target (GraphQL: a mutation; REST: anything but GET). */
export function isTargetWrite(request: SimRequestRecord): boolean {
  if (request.operation !== undefined) return request.operation.startsWith('mutation');
  return request.method !== 'GET' && request.method !== 'HEAD';
}

async function collect(connector: Connector): Promise<TargetAccount[]> {
  const out: TargetAccount[] = [];
  for await (const account of connector.listAccounts()) out.push(account);
  return out;
}

/** Registers the contract suite for one connector type. */
export function runConnectorContract(harness: ContractHarness): void {
  describe(`${harness.type} connector contract`, () => {
    let sim: RunningSimulator;
    let connector: Connector;
    let counter = 0;
    const email = (): string => `contract.user${++counter}@example.com`;

    const create = async (address: string, role = harness.roles.initial): Promise<TargetAccount> => {
      const account = await connector.createAccount({ email: address, name: 'Contract User', givenName: 'Contract', familyName: 'User', role });
      await harness.activate?.(sim, address);
      const found = await connector.findByEmail(address);
      expect(found, `account ${address} after create`).not.toBeNull();
      return found ?? account;
    };
    // Every error a case provokes is checked for secrets where it happens, so no case relies on another.
    const failing = async (fn: () => Promise<unknown>): Promise<BridgeError> => {
      const error = await expectBridgeError(fn);
      expectNoSecret(error);
      return error;
    };
    const expectNoSecret = (error: BridgeError): void => {
      const text = `${error.message} ${JSON.stringify(error)} ${String(error.stack)}`;
      for (const secret of harness.secrets) expect(text).not.toContain(secret);
    };

    beforeEach(async () => {
      sim = await serveSimulator(harness.createSimulator());
      connector = harness.createConnector(sim.targetUrl, deps());
    });
    afterEach(async () => {
      await connector.close();
      await sim.close();
    });

    it('creates an account and finds it by email, case-insensitively', async () => {
      const address = email();
      const created = await connector.createAccount({ email: address, name: 'Ada Lovelace', givenName: 'Ada', familyName: 'Lovelace', role: harness.roles.initial });
      expect(created.email.toLowerCase()).toBe(address);
      await harness.activate?.(sim, address);
      const found = await connector.findByEmail(address.toUpperCase());
      expect(found?.email.toLowerCase()).toBe(address);
      expect(found && hasRole(found, harness.roles.initial)).toBe(true);
      expect(await connector.findByEmail('nobody.here@example.com')).toBeNull();
    });

    it('lists the roles it offers an IdP, each one a role it can give, and a live catalog shows a new role', async () => {
      const catalog = connector.capabilities.roleCatalog;
      if (catalog === undefined) {
        expect(connector.listRoles).toBeUndefined();
        return;
      }
      const before = (await simRequests(sim)).length;
      const roles = (await connector.listRoles?.()) ?? [];
      expect(roles.length).toBeGreaterThan(1);
      expect(new Set(roles.map((r) => r.id.toLowerCase())).size).toBe(roles.length);
      for (const role of roles) expect(role.displayName, role.id).not.toBe('');
      // A static catalog is the target's fixed list: no call at all.
      if (catalog === 'static') expect((await simRequests(sim)).length).toBe(before);
      const given = roles[1] as TargetRole;
      const account = await create(email(), given.id);
      expect(hasRole(account, given.id), `${given.id} on ${JSON.stringify(account)}`).toBe(true);
      if (catalog === 'live') {
        expect(harness.addRole, 'a live catalog needs addRole in the harness').toBeDefined();
        const id = await harness.addRole?.(sim, 'Contract Custom');
        const after = (await connector.listRoles?.()) ?? [];
        expect(after.find((r) => r.id === id)?.displayName).toBe('Contract Custom');
      }
    });

    it('reports a duplicate email as TARGET_CONFLICT so the engine can adopt the account', async () => {
      const address = email();
      await create(address);
      const error = await failing(() => connector.createAccount({ email: address, name: 'Again', role: harness.roles.initial }));
      expect(error.code).toBe('TARGET_CONFLICT');
      expect(error.kind).toBe('permanent');
    });

    it('lists every account, protected ones included, across a long list', async () => {
      await harness.seedAccounts(sim, 130);
      const address = email();
      await create(address);
      const accounts = await collect(connector);
      expect(accounts.length).toBeGreaterThanOrEqual(132);
      const emails = new Set(accounts.map((a) => a.email.toLowerCase()));
      expect(emails.size).toBe(accounts.length);
      expect(emails.has(address)).toBe(true);
      const owner = accounts.find((a) => a.email.toLowerCase() === harness.protectedEmail.toLowerCase());
      expect(owner?.protection).toBeDefined();
    });

    it('changes a role, and setting the same role twice is one change', async () => {
      if (!connector.capabilities.isRoleMutable) return;
      const account = await create(email());
      await simControl(sim, '/requests', undefined, 'DELETE');
      const updated = await connector.updateAccount(account, { role: harness.roles.changed });
      expect(hasRole(updated, harness.roles.changed)).toBe(true);
      expect((await simRequests(sim)).filter(isTargetWrite)).toHaveLength(1);
      // The second time, from the account as the first call left it and as a fresh read gives it: no write.
      await simControl(sim, '/requests', undefined, 'DELETE');
      const again = await connector.updateAccount(updated, { role: harness.roles.changed });
      expect(hasRole(again, harness.roles.changed)).toBe(true);
      const reread = await connector.findByEmail(account.email);
      expect(reread).not.toBeNull();
      await connector.updateAccount(reread!, { role: harness.roles.changed });
      expect((await simRequests(sim)).filter(isTargetWrite)).toEqual([]);
      const found = await connector.findByEmail(account.email);
      expect(found && hasRole(found, harness.roles.changed)).toBe(true);
    });

    it('changes the name where the target allows it, and refuses clearly where not', async () => {
      const account = await create(email());
      if (connector.capabilities.isNameMutable) {
        await connector.updateAccount(account, { name: 'Renamed Person' });
        expect((await connector.findByEmail(account.email))?.name).toBe('Renamed Person');
      } else {
        const error = await failing(() => connector.updateAccount(account, { name: 'Renamed Person' }));
        expect(error.code).toBe('UNSUPPORTED_OPERATION');
      }
    });

    it('changes the email only where the target allows it', async () => {
      const account = await create(email());
      const next = email();
      if (connector.capabilities.isEmailMutable) {
        await connector.updateAccount(account, { email: next });
        expect(await connector.findByEmail(next)).not.toBeNull();
      } else {
        const error = await failing(() => connector.updateAccount(account, { email: next }));
        expect(error.code).toBe('UNSUPPORTED_OPERATION');
        expect(error.kind).toBe('permanent');
      }
    });

    it('deactivates the way the target can, and twice is fine', async () => {
      const account = await create(email());
      const { deactivation, noAccessRole } = connector.capabilities;
      if (deactivation === 'native') {
        expect(await connector.disableAccount(account)).toBe('confirmed');
        // Done already: no error (Paradime confirms a disable of a disabled user; others may not).
        expect(['confirmed', 'unconfirmed']).toContain(await connector.disableAccount(account));
        const found = await connector.findByEmail(account.email);
        expect(found === null || found.status === 'disabled').toBe(true);
      } else if (deactivation === 'role') {
        expect(noAccessRole).toBeDefined();
        const updated = await connector.updateAccount(account, { role: noAccessRole ?? 'none' });
        expect(hasRole(updated, noAccessRole ?? 'none')).toBe(true);
      } else {
        expect(await connector.deleteAccount(account)).toBe('confirmed');
        expect(await connector.findByEmail(account.email)).toBeNull();
      }
    });

    it('deletes an account, and deleting what is gone succeeds', async () => {
      const account = await create(email());
      if (!connector.capabilities.canDelete) {
        const error = await failing(() => connector.deleteAccount(account));
        expect(error.code).toBe('UNSUPPORTED_OPERATION');
        return;
      }
      expect(await connector.deleteAccount(account)).toBe('confirmed');
      expect(await connector.findByEmail(account.email)).toBeNull();
      expect(await connector.deleteAccount(account)).toBe('unconfirmed');
    });

    it('when the connector can read by id, getAccount agrees with findByEmail, and a deleted account reads as null', async () => {
      if (!connector.getAccount || !connector.capabilities.canDelete) return;
      const account = await create(email());
      expect(account.id).not.toBeNull();
      expect(await connector.getAccount(account.id ?? '')).toEqual(await connector.findByEmail(account.email));
      const owner = await connector.findByEmail(harness.protectedEmail);
      expect(owner?.protection).toBeDefined();
      expect(await connector.getAccount(owner?.id ?? '')).toEqual(owner);
      await connector.deleteAccount(account);
      expect(await connector.getAccount(account.id ?? '')).toBeNull();
    });

    it('refuses to change or remove the protected account with a permanent error', async () => {
      const owner = await connector.findByEmail(harness.protectedEmail);
      expect(owner).not.toBeNull();
      if (!owner) return;
      const removal = await failing(() =>
        connector.capabilities.canDelete ? connector.deleteAccount(owner) : connector.disableAccount(owner),
      );
      expect(removal.code).toBe('PROTECTED_ACCOUNT');
      expect(removal.kind).toBe('permanent');
      if (connector.capabilities.isRoleMutable) {
        const demotion = await failing(() => connector.updateAccount(owner, { role: harness.roles.changed }));
        expect(demotion.code).toBe('PROTECTED_ACCOUNT');
      }
    });

    it('waits out a 429 with Retry-After, then succeeds', async () => {
      await injectFault(sim, { kind: 'status', status: 429, retryAfterSeconds: 1, count: 1 });
      await simControl(sim, '/requests', undefined, 'DELETE');
      const started = Date.now();
      await collect(connector);
      expect(Date.now() - started).toBeGreaterThanOrEqual(950);
      const log = await simRequests(sim);
      expect(log[0]?.status).toBe(429);
      expect(log.some((r) => r.status === 200)).toBe(true);
      const first = log[0]?.at ?? 0;
      const retry = log[1]?.at ?? 0;
      expect(retry - first).toBeGreaterThanOrEqual(950);
    });

    it('retries a 503, then succeeds', async () => {
      await injectFault(sim, { kind: 'status', status: 503, count: 1 });
      const accounts = await collect(connector);
      expect(accounts.length).toBeGreaterThan(0);
    });

    it('gives up on a 500 storm with a transient error', async () => {
      await injectFault(sim, { kind: 'status', status: 500, count: 10 });
      const error = await failing(() => collect(connector));
      expect(error.code).toBe('TARGET_UNAVAILABLE');
      expect(error.kind).toBe('transient');
    });

    it('turns a target that never answers into a transient timeout', async () => {
      const impatient = harness.createConnector(sim.targetUrl, deps({ timeoutMs: 300, retries: 0 }));
      try {
        await injectFault(sim, { kind: 'hang', count: 1 });
        const error = await failing(() => collect(impatient));
        expect(error.code).toBe('TARGET_TIMEOUT');
        expect(error.kind).toBe('transient');
      } finally {
        await impatient.close();
      }
    });

    it('turns a dropped connection into a transient error', async () => {
      const once = harness.createConnector(sim.targetUrl, deps({ retries: 0 }));
      try {
        await injectFault(sim, { kind: 'reset', count: 1 });
        const error = await failing(() => collect(once));
        expect(error.code).toBe('TARGET_UNAVAILABLE');
        expect(error.kind).toBe('transient');
      } finally {
        await once.close();
      }
    });

    it('honours an abort signal', async () => {
      await injectFault(sim, { kind: 'hang', count: 1 });
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 100);
      const started = Date.now();
      const error = await failing(() => connector.findByEmail('someone@example.com', { signal: controller.signal }));
      expect(error.code).toBe('ABORTED');
      expect(Date.now() - started).toBeLessThan(1_500);
    });

    it('reports wrong credentials as a permanent TARGET_AUTH and checkAccess says why', async () => {
      const wrong = harness.createConnector(sim.targetUrl, deps(), { badCredentials: true });
      try {
        const error = await failing(() => collect(wrong));
        expect(error.code).toBe('TARGET_AUTH');
        expect(error.kind).toBe('permanent');
        const access = await wrong.checkAccess();
        expect(access.ok).toBe(false);
        expect(access.problems.length).toBeGreaterThan(0);
      } finally {
        await wrong.close();
      }
      const good = await connector.checkAccess();
      expect(good).toMatchObject({ ok: true, problems: [] });
    });

    it('never puts a secret in an error', async () => {
      // Its own errors (every other case checks the errors it provokes too): wrong credentials,
      // a refused duplicate, a 500 storm, a timeout.
      const wrong = harness.createConnector(sim.targetUrl, deps({ retries: 0 }), { badCredentials: true });
      const impatient = harness.createConnector(sim.targetUrl, deps({ timeoutMs: 300, retries: 0 }));
      try {
        const address = email();
        await create(address);
        const errors = [
          await expectBridgeError(() => collect(wrong)),
          await expectBridgeError(() => connector.createAccount({ email: address, name: 'Again', role: harness.roles.initial })),
          await injectFault(sim, { kind: 'status', status: 500, rate: 1 }).then(() => expectBridgeError(() => collect(connector))),
          await simControl(sim, '/faults', undefined, 'DELETE')
            .then(() => injectFault(sim, { kind: 'hang', count: 1 }))
            .then(() => expectBridgeError(() => collect(impatient))),
        ];
        expect(errors.map((e) => e.code)).toEqual(['TARGET_AUTH', 'TARGET_CONFLICT', 'TARGET_UNAVAILABLE', 'TARGET_TIMEOUT']);
        for (const error of errors) expectNoSecret(error);
      } finally {
        await wrong.close();
        await impatient.close();
      }
    });
  });
}
