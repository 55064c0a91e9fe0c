import pg from 'pg';
import { BridgeError } from '../../errors.js';
import type { Logger } from '../../logging/logger.js';
import { toStoreError } from '../sql/db-errors.js';
import { currentHolder, describeHolders, type LockPurpose, type StoreHolder, type StoreLock } from '../store-lock.js';

/**
 * The store lock on PostgreSQL: a session advisory lock on a key derived from the schema the
 * store lives in, held on a connection of its own for as long as the lock is. Serving replicas
 * take it shared (any number run side by side); `copy-store` takes it exclusive and only tries,
 * so it never waits for, nor stops, a replica. The session's `application_name` says who holds
 * it (`scim-bridge serve pid=4242 host=app-1`): `pg_locks` joined with
 * `pg_stat_activity` names every holder, and a holder that dies loses its lock with its session.
 */

/** Namespace of the two-key advisory locks (postgres-store.ts uses the same for its own locks). */
export const STORE_LOCK_NAMESPACE = 0x5c1b;

/** Where the lock connection goes, and what it logs. */
export interface PgLockOptions {
  connectionString: string;
  /** A schema of its own (the store's `schema` option); else the URL's search_path decides. */
  schema?: string;
  logger?: Logger;
  /** The key of a lock name (the store's FNV-1a hash). */
  keyOf(name: string): number;
  /** Called once when the lock's session is lost (the database restarted, the network dropped). */
  onLost?: () => void;
}

const APP_PREFIX = 'scim-bridge ';

/** Takes the store lock for `purpose`, or throws STORE_LOCKED naming the holders. */
export async function lockPostgresStore(options: PgLockOptions, purpose: LockPurpose): Promise<StoreLock> {
  const me = currentHolder(purpose);
  const client = new pg.Client({
    connectionString: options.connectionString,
    // At most 63 bytes survive (NAMEDATALEN); the session's backend_start says since when.
    application_name: `${APP_PREFIX}${purpose} pid=${me.pid} host=${me.host}`.slice(0, 63),
    ...(options.schema !== undefined ? { options: `-c search_path=${options.schema}` } : {}),
  });
  let isReleased = false;
  let isLost = false;
  const lost = (err?: Error): void => {
    if (isReleased || isLost) return;
    isLost = true;
    options.logger?.error('store lock connection lost: copy-store cannot see this bridge until it is taken again', { error: err?.message ?? 'connection ended' });
    options.onLost?.();
  };
  client.on('error', lost);
  client.on('end', () => lost());
  try {
    await client.connect();
    const schema = (await client.query<{ schema: string | null }>('SELECT current_schema() AS schema')).rows[0]?.schema ?? 'public';
    const key = options.keyOf(`store:${schema}`);
    const fn = purpose === 'serve' ? 'pg_try_advisory_lock_shared' : 'pg_try_advisory_lock';
    const locked = (await client.query<{ locked: boolean }>(`SELECT ${fn}($1, $2) AS locked`, [STORE_LOCK_NAMESPACE, key])).rows[0]?.locked === true;
    if (!locked) {
      const holders = await holdersOf(client, key);
      throw new BridgeError('STORE_LOCKED', `the store (schema ${schema}) is in use by ${describeHolders(holders)}`, {
        details: { pid: holders[0]?.pid ?? null, host: holders[0]?.host ?? null, purpose: holders[0]?.purpose ?? 'unknown', holders: holders.length },
      });
    }
  } catch (err) {
    isReleased = true;
    await client.end().catch(() => undefined);
    throw err instanceof BridgeError ? err : toStoreError(err);
  }
  return {
    async release() {
      if (isReleased) return;
      isReleased = true;
      // Ending the session releases the lock with it.
      await client.end().catch(() => undefined);
    },
  };
}

interface LockRow {
  backend_pid: number;
  application_name: string | null;
  client_addr: string | null;
  backend_start: Date | null;
}

/** The sessions holding the store lock, other than this one (for the two-key form, pg_locks shows the keys as classid and objid). */
async function holdersOf(client: pg.Client, key: number): Promise<StoreHolder[]> {
  const found = await client.query<LockRow>(
    `SELECT a.pid AS backend_pid, a.application_name, host(a.client_addr) AS client_addr, a.backend_start
     FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
     WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2 AND l.classid::bigint = $1 AND l.objid::bigint = $2
       AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) AND l.pid <> pg_backend_pid()
     ORDER BY a.backend_start`,
    [STORE_LOCK_NAMESPACE >>> 0, key >>> 0],
  );
  return found.rows.map(holderOf);
}

/** What the session's application name says (`scim-bridge serve pid=… host=…`), else what PostgreSQL knows. */
function holderOf(row: LockRow): StoreHolder {
  const name = row.application_name ?? '';
  const match = /^scim-bridge (serve|copy-store) pid=(\d+) host=(\S+)$/.exec(name);
  const base = { backendPid: Number(row.backend_pid), clientAddress: row.client_addr, since: row.backend_start ? new Date(row.backend_start).getTime() : null };
  if (!match) return { purpose: 'unknown', pid: null, host: null, ...base };
  return { purpose: match[1] as LockPurpose, pid: Number(match[2]), host: match[3] as string, ...base };
}
