import Database from 'better-sqlite3';
import { applyMigrations } from '../migrations.js';
import type { LockPurpose, StoreLock } from '../store-lock.js';
import { WalCheckpointer, type CheckpointResult } from './checkpointer.js';
import { lockSqliteFile } from './lock-file.js';
import { toStoreError } from '../sql/db-errors.js';
import { sqliteDialect } from '../sql/dialect.js';
import { render } from '../sql/sql.js';
import { SqlStore, type TxRunner, type WorkMode } from '../sql/sql-store.js';
import { driveSync, type Row, type Statement, type StatementResult, type Tx } from '../sql/tx.js';

/** Options of {@link SqliteStore}. */
export interface SqliteStoreOptions {
  /** A file path, or `:memory:`. */
  path: string;
  /** How long a writer waits for another process's write lock before STORE_UNAVAILABLE. Default 5 s. */
  busyTimeoutMs?: number;
  /**
   * Commits between two checkpoints of the write-ahead log, which run on a worker thread
   * (checkpointer.ts); 0 leaves them to SQLite, on the committing thread. Default 100.
   */
  checkpointEvery?: number;
}

const STATEMENT_CACHE = 500;
/** Writes between two `PRAGMA optimize` runs (statistics for the query planner). */
const OPTIMIZE_EVERY = 1000;

/** better-sqlite3 binds numbers, strings, bigints, buffers and null only. */
function toSqliteValue(value: unknown): unknown {
  if (typeof value === 'boolean') return value ? 1 : 0;
  return value === undefined ? null : value;
}

/**
 * The embedded store: one better-sqlite3 connection. Units of work run synchronously inside
 * `db.transaction` (`.immediate()` for writes, so a second process waits for the write lock up
 * front instead of failing when a read lock cannot be upgraded), hence nothing else in this
 * process can interleave with a transaction.
 *
 * Durability: WAL with `synchronous = NORMAL`. A commit is in the WAL file, in the operating
 * system's page cache, before `commit` returns, so a killed process (kill -9, crash) loses
 * nothing it acknowledged (docs/architecture.md, promise 1); only a power loss or kernel crash can drop
 * the last transactions, which FULL would prevent at the price of an fsync per commit. The log
 * is checkpointed on a worker thread (checkpointer.ts), not by the commit that fills it.
 *
 * Query planning: without statistics SQLite prefers the (connection, created) index that gives
 * list order over a selective one (`externalId eq`, the email table), and scans a connection.
 * `PRAGMA optimize` gathers statistics after migrating, every {@link OPTIMIZE_EVERY} writes (so
 * a database filled after start gets them early) and at close, as sqlite.org/lang_analyze.html advises.
 */
export class SqliteStore extends SqlStore {
  readonly dialect = 'sqlite' as const;
  private readonly db: Database.Database;
  private readonly statements = new Map<string, Database.Statement>();
  private readonly heldLocks = new Set<string>();
  private readonly transaction: Database.Transaction<(work: () => unknown) => unknown>;
  private writes = 0;
  private readonly path: string;
  private readonly locks = new Set<StoreLock>();
  private readonly checkpointer: WalCheckpointer | undefined;

  constructor(options: SqliteStoreOptions) {
    super(sqliteDialect);
    this.path = options.path;
    try {
      this.db = new Database(options.path);
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = NORMAL');
      this.db.pragma(`busy_timeout = ${Math.max(0, Math.floor(options.busyTimeoutMs ?? 5000))}`);
      this.db.pragma('foreign_keys = ON');
      // Every RETURNING, IN (subquery) list and materialized CTE builds a temporary table; kept on
      // disk (this build's default) one costs about 100 µs more than in memory (the claim of 8 jobs
      // went from about 390 to 190 µs). They hold one statement's rows: a page, a claim.
      this.db.pragma('temp_store = MEMORY');
      const isWal = this.db.pragma('journal_mode', { simple: true }) === 'wal';
      const every = options.checkpointEvery ?? 100;
      if (isWal && every > 0) {
        const setAutoCheckpoint = (pages: number): void => void (this.db.open && this.db.pragma(`wal_autocheckpoint = ${pages}`));
        const finish = (): void => void (this.db.open && !this.db.inTransaction && this.db.pragma('wal_checkpoint(PASSIVE)'));
        this.checkpointer = new WalCheckpointer({ path: options.path, everyCommits: every, setAutoCheckpoint, finish });
      }
    } catch (err) {
      throw toStoreError(err);
    }
    // SQLite's lower() folds ASCII only; *_ci columns are folded by JavaScript, so filters must be too.
    this.db.function('scim_lower', { deterministic: true }, (value: unknown) => (typeof value === 'string' ? value.toLowerCase() : value));
    this.transaction = this.db.transaction((work: () => unknown) => work());
  }

  protected run<T>(mode: WorkMode, work: () => Tx<T>): Promise<T> {
    try {
      // A statement is a snapshot of its own: a lookup needs no BEGIN and COMMIT (about 6 µs each).
      if (mode === 'lookup') return Promise.resolve(driveSync(work(), this.lookupStep()));
      const unit = (): T => driveSync(work(), (statement) => this.execute(statement));
      // An autocommit unit is a write transaction here too: one commit either way.
      // A deferred transaction reads one snapshot (WAL): a read and a snapshot are the same here.
      if (mode === 'read' || mode === 'snapshot') return Promise.resolve(this.transaction.deferred(unit) as T);
      const result = this.transaction.immediate(unit) as T;
      this.work.commits++;
      this.checkpointer?.noteCommit();
      if (++this.writes % OPTIMIZE_EVERY === 0) this.optimize();
      return Promise.resolve(result);
    } catch (err) {
      return Promise.reject(toStoreError(err));
    }
  }

  /** The executor of a lookup: one statement, outside a transaction; a second would not share its snapshot. */
  private lookupStep(): (statement: Statement) => StatementResult {
    let isDone = false;
    return (statement) => {
      if (isDone) throw new Error('a lookup unit of work ran a second statement; run it as a read');
      isDone = true;
      return this.execute(statement);
    };
  }

  private execute(statement: Statement): StatementResult {
    const { text, values } = render(statement.query, this.d.placeholder);
    this.work.statements++;
    this.work.roundTrips++;
    try {
      const prepared = this.prepare(text);
      const params = values.map(toSqliteValue);
      if (prepared.reader) {
        const found = prepared.all(...params) as Row[];
        return { rows: found, changes: found.length };
      }
      return { rows: [], changes: prepared.run(...params).changes };
    } catch (err) {
      throw toStoreError(err);
    }
  }

  private prepare(text: string): Database.Statement {
    let prepared = this.statements.get(text);
    if (prepared === undefined) {
      prepared = this.db.prepare(text);
      if (this.statements.size >= STATEMENT_CACHE) this.statements.delete(this.statements.keys().next().value as string);
    } else {
      this.statements.delete(text);
    }
    this.statements.set(text, prepared);
    return prepared;
  }

  /**
   * Checkpoints the write-ahead log now, on the checkpointer's worker; undefined for a store
   * without one (in memory, `checkpointEvery: 0`, or a worker that failed).
   */
  walCheckpoint(): Promise<CheckpointResult | undefined> {
    return this.checkpointer?.checkpoint() ?? Promise.resolve(undefined);
  }

  async migrate(): Promise<void> {
    await this.run('write', () => applyMigrations(this.d));
    this.optimize();
  }

  /**
   * Refreshes planner statistics where they are missing or stale; quick (analysis is sampled).
   * Only the per-index averages (`sqlite_stat1`) are kept: better-sqlite3's SQLite is built with
   * STAT4, and with stat4 samples of an index SQLite compiles a statement again whenever a
   * parameter that binds one of its columns gets a new value (sqlite.org/c3ref/prepare.html,
   * on `sqlite3_prepare_v2`), so every lookup paid a compilation: 25 µs instead of 4 for a
   * user by userName. The averages are all the plans here need (equality on keys, ranges on
   * due times); `ANALYZE sqlite_schema` makes the connection read the statistics again.
   */
  private optimize(): void {
    try {
      this.db.pragma('optimize=0x10002');
      const hasSamples = this.db.prepare("SELECT 1 FROM sqlite_schema WHERE name = 'sqlite_stat4'").get() !== undefined && this.db.prepare('SELECT 1 FROM sqlite_stat4 LIMIT 1').get() !== undefined;
      // One transaction: if the reload fails, the samples stay and the next optimize tries again.
      if (hasSamples) this.db.transaction(() => this.db.exec('DELETE FROM sqlite_stat4; ANALYZE sqlite_schema;')).immediate();
    } catch {
      // Statistics are an optimisation: a busy database just keeps the old ones.
    }
  }

  /**
   * BEGIN IMMEDIATE by hand: better-sqlite3's `transaction` cannot span an await. Nothing else
   * runs on this connection meanwhile, since the caller (copy-store) owns the store.
   */
  async loadInTransaction<T>(load: (run: TxRunner) => Promise<T>): Promise<T> {
    try {
      this.db.exec('BEGIN IMMEDIATE');
    } catch (err) {
      throw toStoreError(err);
    }
    try {
      const result = await load(<R>(work: Tx<R>): Promise<R> => {
        try {
          return Promise.resolve(driveSync(work, (statement) => this.execute(statement)));
        } catch (err) {
          return Promise.reject(toStoreError(err));
        }
      });
      this.db.exec('COMMIT');
      this.checkpointer?.noteCommit();
      this.optimize();
      return result;
    } catch (err) {
      if (this.db.inTransaction) this.db.exec('ROLLBACK');
      throw toStoreError(err);
    }
  }

  /** In-process only: an SQLite file serves one bridge process. */
  async withExclusiveLock<T>(name: string, fn: () => Promise<T>): Promise<T | undefined> {
    if (this.heldLocks.has(name)) return undefined;
    this.heldLocks.add(name);
    try {
      return await fn();
    } finally {
      this.heldLocks.delete(name);
    }
  }

  /** The lock file beside the database (lock-file.ts); an in-memory database has nobody else to keep out. */
  lock(purpose: LockPurpose): Promise<StoreLock> {
    if (this.path === ':memory:' || this.path === '') return Promise.resolve({ release: () => Promise.resolve() });
    try {
      const taken = lockSqliteFile(this.path, purpose);
      const lock: StoreLock = {
        release: async () => {
          this.locks.delete(lock);
          await taken.release();
        },
      };
      this.locks.add(lock);
      return Promise.resolve(lock);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  async close(): Promise<void> {
    await Promise.all([...this.locks].map((lock) => lock.release()));
    await this.checkpointer?.close();
    if (!this.db.open) return;
    this.optimize();
    this.db.close();
  }
}
