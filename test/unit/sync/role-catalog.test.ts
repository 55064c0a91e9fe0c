import { describe, expect, it } from 'vitest';
import type { Connector, ConnectorCapabilities, TargetRole } from '../../../src/connectors/types.js';
import { createSilentLogger } from '../../../src/logging/logger.js';
import { createRoleCatalog } from '../../../src/sync/role-catalog.js';

/** The role cache behind /Roles and assigned rules: one read shared, stale served while refreshing, static lists read once. */

function fakeConnector(roleCatalog: ConnectorCapabilities['roleCatalog'], roles: () => Promise<TargetRole[]>): Connector & { calls: number } {
  const connector = {
    calls: 0,
    capabilities: { roleCatalog } as ConnectorCapabilities,
    listRoles: async () => {
      connector.calls++;
      return roles();
    },
  };
  return connector as unknown as Connector & { calls: number };
}

describe('role catalog', () => {
  it('is null for a target without roles', () => {
    expect(createRoleCatalog(fakeConnector(undefined, async () => []), { logger: createSilentLogger() })).toBeNull();
  });

  it('shares one read between concurrent first callers, then answers from memory', async () => {
    let release: (roles: TargetRole[]) => void = () => undefined;
    const connector = fakeConnector('live', () => new Promise((resolve) => (release = resolve)));
    const catalog = createRoleCatalog(connector, { logger: createSilentLogger() });
    const first = Promise.all([catalog?.snapshot(), catalog?.snapshot(), catalog?.snapshot()]);
    release([{ id: 'role_uids:[1]', displayName: 'Admin' }]);
    const snapshots = await first;
    expect(snapshots.map((s) => s?.roles.map((r) => r.id))).toEqual([['role_uids:[1]'], ['role_uids:[1]'], ['role_uids:[1]']]);
    for (let i = 0; i < 10; i++) await catalog?.snapshot();
    expect(connector.calls).toBe(1);
  });

  it('serves the roles it holds once stale, refreshing in the background; a failed refresh keeps them', async () => {
    let clock = 0;
    let roles: TargetRole[] = [{ id: 'a', displayName: 'A' }];
    let fails = false;
    const connector = fakeConnector('live', async () => {
      if (fails) throw new Error('cluster away');
      return roles;
    });
    const catalog = createRoleCatalog(connector, { logger: createSilentLogger(), ttlMs: 1_000, now: () => clock });
    expect((await catalog?.snapshot())?.roles.map((r) => r.id)).toEqual(['a']);
    roles = [{ id: 'a', displayName: 'A' }, { id: 'b', displayName: 'B' }];
    clock = 500;
    expect((await catalog?.snapshot())?.roles.map((r) => r.id)).toEqual(['a']);
    expect(connector.calls).toBe(1);
    clock = 1_500;
    // Stale: this answer is still the old list, and a refresh starts behind it.
    expect((await catalog?.snapshot())?.roles.map((r) => r.id)).toEqual(['a']);
    await new Promise((resolve) => setImmediate(resolve));
    expect((await catalog?.snapshot())?.roles.map((r) => r.id)).toEqual(['a', 'b']);
    expect(connector.calls).toBe(2);
    fails = true;
    clock = 5_000;
    await catalog?.snapshot();
    await new Promise((resolve) => setImmediate(resolve));
    expect((await catalog?.snapshot())?.roles.map((r) => r.id)).toEqual(['a', 'b']);
    await expect(catalog?.refresh()).rejects.toThrow('cluster away');
  });

  it('reads a static list once, however old', async () => {
    let clock = 0;
    const connector = fakeConnector('static', async () => [{ id: 'Owner', displayName: 'Owner' }]);
    const catalog = createRoleCatalog(connector, { logger: createSilentLogger(), ttlMs: 10, now: () => clock });
    await catalog?.snapshot();
    clock = 10_000_000;
    await catalog?.snapshot();
    await new Promise((resolve) => setImmediate(resolve));
    expect(connector.calls).toBe(1);
  });
});
