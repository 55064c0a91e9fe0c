import Database from 'better-sqlite3';
import pg from 'pg';
import type { ScimClient, StoreKind } from '../helpers/bridge.js';
import { SYNC_SCHEMA, type ListBody } from './scim-assert.js';

/** Fault injection below the store, in this process: the bridge under test runs in it too. */

const OUTBOX_INSERT = /INSERT INTO sync_jobs/i;

function outboxError(kind: StoreKind): Error {
  return kind === 'sqlite'
    ? Object.assign(new Error('disk I/O error'), { code: 'SQLITE_IOERR' })
    : Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' });
}

/**
 * Makes the driver fail every outbox insert (the last statement of most directory writes), so
 * the failure happens inside the store's transaction. Returns the function that restores it.
 */
export function failOutboxWrites(kind: StoreKind): () => void {
  if (kind === 'sqlite') {
    const probe = new Database(':memory:');
    const proto = Object.getPrototypeOf(probe.prepare('SELECT 1')) as { run: (...a: unknown[]) => unknown; all: (...a: unknown[]) => unknown };
    probe.close();
    const { run, all } = proto;
    const guard = (original: (...a: unknown[]) => unknown) =>
      function (this: { source: string }, ...args: unknown[]): unknown {
        if (OUTBOX_INSERT.test(this.source)) throw outboxError(kind);
        return original.apply(this, args);
      };
    proto.run = guard(run);
    proto.all = guard(all);
    return () => {
      proto.run = run;
      proto.all = all;
    };
  }
  const proto = pg.Client.prototype as unknown as { query: (...a: unknown[]) => unknown };
  const query = proto.query;
  proto.query = function (this: unknown, ...args: unknown[]): unknown {
    const text = typeof args[0] === 'string' ? args[0] : (args[0] as { text?: string } | undefined)?.text;
    if (text !== undefined && OUTBOX_INSERT.test(text)) return Promise.reject(outboxError(kind));
    return query.apply(this, args);
  };
  return () => {
    proto.query = query;
  };
}

/** Every user and group of the connection as SCIM shows them (without the sync state, which the worker moves). */
export async function snapshot(scim: ScimClient): Promise<{ users: unknown[]; groups: unknown[] }> {
  const users = (await scim.get(`/Users?count=1000&excludedAttributes=${SYNC_SCHEMA}`).expect(200)).body as ListBody;
  const groups = (await scim.get('/Groups?count=1000').expect(200)).body as ListBody;
  const withSortedMembers = groups.Resources.map((g) => ({ ...g, members: ((g.members ?? []) as { value: string }[]).map((m) => m.value).sort() }));
  return { users: users.Resources, groups: withSortedMembers };
}
