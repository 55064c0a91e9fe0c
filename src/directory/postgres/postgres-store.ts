import pg from 'pg';
import type { LockPurpose, StoreLock } from '../store-lock.js';
import { lockPostgresStore, STORE_LOCK_NAMESPACE } from './store-lock.js';
import { BridgeError, isBridgeError } from '../../errors.js';
import type { Logger } from '../../logging/logger.js';
import { applyMigrations } from '../migrations.js';
import { classifyDbError, toStoreError } from '../sql/db-errors.js';
import { postgresDialect } from '../sql/dialect.js';
import { raw, render, sql } from '../sql/sql.js';
import { SqlStore, type TxRunner, type WorkMode } from '../sql/sql-store.js';
import { driveAsync, exec, rows, type Row, type Statement, type StatementResult, type Tx } from '../sql/tx.js';

/** Options of {@link PostgresStore}. */
export interface PostgresStoreOptions {
  connectionString: string;
  /** A schema of its own (created by migrate, first on every connection's search_path); tests use one per file. */
  schema?: string;
  logger?: Logger;
  /** Pool size. Default 10. */
  maxConnections?: number;
  /** How long to wait for a connection before STORE_UNAVAILABLE. Default 5 s. */
  connectionTimeoutMs?: number;
}

const MAX_ATTEMPTS = 3;
/**
 * Distinct statement texts given a name, per store. A named statement is parsed and planned once
 * per connection and reused (the planner was most of the server's time for a one-row lookup);
 * texts past the cap (unusual filter and sort combinations) run unnamed, so a connection never
 * holds an unbounded number of prepared statements.
 */
const MAX_NAMED_STATEMENTS = 500;
/** How soon a serving bridge tries again to take a store lock whose session was lost. */
const RELOCK_MS = 5_000;
const LOCK_NAMESPACE = STORE_LOCK_NAMESPACE;

/**
 * The connection string with the store's schema first on the search path. A string that sets
 * `options` itself would otherwise replace a pool `options` setting (pg lets the string win),
 * so the two are combined in the string.
 */
function withSearchPath(connectionString: string, schema: string | undefined): string {
  if (schema === undefined) return connectionString;
  const url = new URL(connectionString);
  const own = url.searchParams.get('options');
  url.searchParams.set('options', [own, `-c search_path=${schema}`].filter((o) => o !== null && o.trim() !== '').join(' '));
  return url.toString();
}

/** How a transaction starts: a write, or a read of one snapshot. */
type Begin = 'BEGIN' | 'BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY';

/** A stable signed 32-bit hash (FNV-1a) of a lock name, for the two-key advisory lock functions. */
function lockKey(name: string): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(name, 'utf8')) hash = Math.imul(hash ^ byte, 0x01000193);
  return hash | 0;
}

/**
 * The server store: a pg pool shared by N replicas' worth of processes. Writes run between
 * BEGIN and COMMIT on one client and are retried (at most three times) after a deadlock or
 * serialization failure; jobs are claimed with FOR UPDATE SKIP LOCKED; replicas coordinate
 * through advisory locks. Errors of idle clients are logged, never thrown (an unhandled 'error'
 * event would end the process).
 */
export class PostgresStore extends SqlStore {
  readonly dialect = 'postgres' as const;
  private readonly pool: pg.Pool;
  private readonly schema: string | undefined;
  private readonly logger: Logger | undefined;
  private readonly connectionString: string;
  private readonly locks = new Set<StoreLock>();
  private readonly statementNames = new Map<string, string>();
  private scope: Promise<string> | undefined;
  private isClosed = false;

  constructor(options: PostgresStoreOptions) {
    super(postgresDialect);
    if (options.schema !== undefined && !/^[a-z_][a-z0-9_]{0,62}$/.test(options.schema)) {
      throw new BridgeError('CONFIG_INVALID', `database schema "${options.schema.slice(0, 80)}" must be a lower-case SQL identifier`);
    }
    this.schema = options.schema;
    this.logger = options.logger;
    this.connectionString = options.connectionString;
    this.pool = new pg.Pool({
      connectionString: withSearchPath(options.connectionString, this.schema),
      max: options.maxConnections ?? 10,
      connectionTimeoutMillis: options.connectionTimeoutMs ?? 5000,
      idleTimeoutMillis: 30_000,
    });
    const onError = (err: Error): void => {
      this.logger?.warn('database connection error', { code: (err as { code?: string }).code, error: err.message });
    };
    this.pool.on('error', onError);
    this.pool.on('connect', (client) => client.on('error', onError));
  }

  protected async run<T>(mode: WorkMode, work: () => Tx<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.attempt(mode, work);
      } catch (err) {
        const cause = isBridgeError(err) ? err.cause : err;
        if ((mode === 'write' || mode === 'autocommit') && attempt < MAX_ATTEMPTS && classifyDbError(cause) === 'conflict') continue;
        throw toStoreError(err);
      }
    }
  }

  private async attempt<T>(mode: WorkMode, work: () => Tx<T>): Promise<T> {
    const client = await this.connect();
    let failure: unknown;
    try {
      // Reads run without BEGIN: a lookup is one statement, a read's statements each see their own snapshot.
      if (mode === 'read' || mode === 'lookup') return await driveAsync(work(), (s) => this.execute(client, s));
      if (mode === 'autocommit') {
        const result = await driveAsync(work(), (s) => this.execute(client, s));
        this.work.commits++;
        return result;
      }
      // A list reads its count and its page in one snapshot: READ ONLY REPEATABLE READ takes it at
      // the first statement and keeps it to COMMIT; writing nothing, it never fails to serialize.
      if (mode === 'snapshot') return await this.inTransaction(client, 'BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY', work);
      const result = await this.inTransaction(client, 'BEGIN', work);
      this.work.commits++;
      return result;
    } catch (err) {
      failure = err;
      throw err;
    } finally {
      client.release(this.isBroken(failure));
    }
  }

  /**
   * The name a parameterised statement is prepared under. Statements without parameters (DDL,
   * BEGIN) stay on the simple protocol: they are not planned per call and may not be preparable.
   */
  private statementName(text: string): string | undefined {
    const known = this.statementNames.get(text);
    if (known !== undefined || this.statementNames.size >= MAX_NAMED_STATEMENTS) return known;
    const name = `scim_bridge_${this.statementNames.size + 1}`;
    this.statementNames.set(text, name);
    return name;
  }

  /** Statements prepared on one pooled connection (`pg_prepared_statements`), for diagnostics and tests. */
  async preparedStatementCount(): Promise<number> {
    return this.run('read', function* (): Tx<number> {
      return Number((yield* rows(sql`SELECT count(*) AS n FROM pg_prepared_statements`))[0]?.n ?? 0);
    });
  }

  private async connect(): Promise<pg.PoolClient> {
    try {
      return await this.pool.connect();
    } catch (err) {
      throw toStoreError(err);
    }
  }

  /** A client whose connection failed goes back to the pool as broken, to be closed. */
  private isBroken(failure: unknown): boolean {
    return failure !== undefined && classifyDbError(isBridgeError(failure) ? failure.cause : failure) === 'unavailable';
  }

  /** Runs a unit between `begin` and COMMIT on one client; ROLLBACK when it fails. */
  private async inTransaction<T>(client: pg.PoolClient, begin: Begin, work: () => Tx<T>): Promise<T> {
    await this.control(client, begin);
    try {
      const result = await driveAsync(work(), (s) => this.execute(client, s));
      await this.control(client, 'COMMIT');
      return result;
    } catch (err) {
      await this.control(client, 'ROLLBACK').catch(() => undefined);
      throw err;
    }
  }

  /** BEGIN, COMMIT or ROLLBACK: a round trip of its own. */
  private async control(client: pg.PoolClient, command: Begin | 'COMMIT' | 'ROLLBACK'): Promise<void> {
    this.work.roundTrips++;
    await client.query(command);
  }

  private async execute(client: pg.PoolClient, statement: Statement): Promise<StatementResult> {
    const { text, values } = render(statement.query, this.d.placeholder);
    this.work.statements++;
    this.work.roundTrips++;
    try {
      const name = values.length === 0 ? undefined : this.statementName(text);
      const result = await client.query<Row>(name === undefined ? { text, values } : { name, text, values });
      return { rows: result.rows, changes: result.rowCount ?? 0 };
    } catch (err) {
      throw toStoreError(err);
    }
  }

  /** One client between BEGIN and COMMIT for the whole load; not retried (a bulk load is not worth replaying). */
  async loadInTransaction<T>(load: (run: TxRunner) => Promise<T>): Promise<T> {
    const client = await this.connect();
    let failure: unknown;
    try {
      await client.query('BEGIN');
      const result = await load(<R>(work: Tx<R>): Promise<R> => driveAsync(work, (s) => this.execute(client, s)));
      await client.query('COMMIT');
      return result;
    } catch (err) {
      failure = err;
      await client.query('ROLLBACK').catch(() => undefined);
      throw toStoreError(err);
    } finally {
      client.release(this.isBroken(failure));
    }
  }

  /**
   * The schema part of the store's lock names: the `schema` option, else the schema the server
   * puts the tables in (`current_schema()`: the first existing schema of the URL's search_path),
   * so every spelling of one schema is one lock and two schemas in one database are two. `public`
   * is '', the name it has always had: replicas of an older release still exclude newer ones.
   */
  private lockScope(): Promise<string> {
    this.scope ??= this.resolveScope().catch((err: unknown) => {
      this.scope = undefined;
      throw toStoreError(err);
    });
    return this.scope;
  }

  private async resolveScope(): Promise<string> {
    if (this.schema !== undefined) return this.schema === 'public' ? '' : this.schema;
    const schema = (await this.pool.query<{ schema: string | null }>('SELECT current_schema() AS schema')).rows[0]?.schema ?? null;
    // No schema of the path exists: no table could be created or found, and the path's spelling is no name for a lock.
    if (schema === null) throw new BridgeError('CONFIG_INVALID', "no schema of the database URL's search_path exists: create it, or name one that does");
    return schema === 'public' ? '' : schema;
  }

  /** Creates the schema (when configured) and applies migrations under a transaction-scoped advisory lock. */
  async migrate(): Promise<void> {
    const schema = this.schema;
    const scope = await this.lockScope();
    const d = this.d;
    await this.run('write', function* (): Tx<number[]> {
      yield* rows(sql`SELECT pg_advisory_xact_lock(${LOCK_NAMESPACE}, ${lockKey(`migrate:${scope}`)})`);
      if (schema !== undefined) yield* exec(raw(`CREATE SCHEMA IF NOT EXISTS "${schema}"`));
      return yield* applyMigrations(d);
    });
  }

  /** A session advisory lock held on a dedicated client while `fn` runs; a lost connection releases it. */
  async withExclusiveLock<T>(name: string, fn: () => Promise<T>): Promise<T | undefined> {
    const keys = [LOCK_NAMESPACE, lockKey(`${await this.lockScope()}:${name}`)];
    const client = await this.connect();
    let isBroken = false;
    try {
      const locked = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1, $2) AS locked', keys).catch((err: unknown) => {
        isBroken = true;
        throw toStoreError(err);
      });
      if (locked.rows[0]?.locked !== true) return undefined;
      try {
        return await fn();
      } finally {
        await client.query('SELECT pg_advisory_unlock($1, $2)', keys).catch(() => {
          isBroken = true;
        });
      }
    } finally {
      client.release(isBroken);
    }
  }

  /**
   * The store lock (store-lock.ts): shared for serving replicas, exclusive for copy-store, on a
   * session of its own. A serving lock whose session is lost is taken again every few seconds.
   */
  async lock(purpose: LockPurpose): Promise<StoreLock> {
    let current: StoreLock | null = null;
    let retry: NodeJS.Timeout | undefined;
    let isReleased = false;
    const take = (): Promise<StoreLock> =>
      lockPostgresStore({ connectionString: this.connectionString, ...(this.schema !== undefined ? { schema: this.schema } : {}), ...(this.logger ? { logger: this.logger } : {}), keyOf: lockKey, onLost }, purpose);
    const again = (): void => {
      retry = setTimeout(() => {
        take().then(
          (taken) => (isReleased ? void taken.release() : ((current = taken), this.logger?.info('store lock taken again'))),
          () => again(),
        );
      }, RELOCK_MS);
      retry.unref();
    };
    const onLost = (): void => {
      current = null;
      if (purpose === 'serve' && !isReleased) again();
    };
    current = await take();
    const lock: StoreLock = {
      release: async () => {
        isReleased = true;
        clearTimeout(retry);
        this.locks.delete(lock);
        await current?.release();
      },
    };
    this.locks.add(lock);
    return lock;
  }

  async close(): Promise<void> {
    if (this.isClosed) return;
    this.isClosed = true;
    await Promise.all([...this.locks].map((lock) => lock.release()));
    await this.pool.end();
  }
}
