import type { Dialect } from './sql/dialect.js';
import { raw, sql } from './sql/sql.js';
import { exec, rows, type Tx } from './sql/tx.js';

/**
 * Versioned schema of the directory store, one list for both dialects: a migration returns its
 * DDL for the dialect it is given (types differ; statements can differ too when they must).
 * Applied versions are recorded in `schema_migrations`. The caller runs {@link applyMigrations}
 * in one exclusive transaction (SQLite: BEGIN IMMEDIATE; PostgreSQL: after
 * `pg_advisory_xact_lock`), so replicas starting together apply each migration once.
 *
 * Every key starts with `connection`: one database serves every connection. Timestamps are epoch
 * milliseconds. `*_ci` columns hold `toLowerCase()` values computed in JavaScript, identically
 * for both databases.
 */

/** One schema version. */
export interface Migration {
  version: number;
  name: string;
  /** The DDL (and data fixes) for a dialect; `now` is the epoch ms the migration runs at. */
  statements(d: Dialect, now: number): string[];
}

function initial(d: Dialect): string[] {
  const { text, json, bool, bigint, autoId } = d.types;
  return [
    `CREATE TABLE users (connection ${text} NOT NULL, id ${text} NOT NULL, user_name ${text} NOT NULL, user_name_ci ${text} NOT NULL,
      external_id ${text}, active ${bool} NOT NULL, attributes ${json} NOT NULL, version integer NOT NULL,
      created ${bigint} NOT NULL, last_modified ${bigint} NOT NULL, deleted_at ${bigint}, PRIMARY KEY (connection, id))`,
    'CREATE UNIQUE INDEX users_user_name_ci_key ON users (connection, user_name_ci) WHERE deleted_at IS NULL',
    'CREATE INDEX users_external_id_idx ON users (connection, external_id)',
    'CREATE INDEX users_created_idx ON users (connection, created, id)',
    'CREATE INDEX users_last_modified_idx ON users (connection, last_modified)',
    `CREATE TABLE user_emails (connection ${text} NOT NULL, user_id ${text} NOT NULL, value_ci ${text} NOT NULL, type_ci ${text},
      is_primary ${bool} NOT NULL, FOREIGN KEY (connection, user_id) REFERENCES users (connection, id) ON DELETE CASCADE)`,
    'CREATE INDEX user_emails_value_idx ON user_emails (connection, value_ci)',
    'CREATE INDEX user_emails_user_idx ON user_emails (connection, user_id)',
    `CREATE TABLE groups (connection ${text} NOT NULL, id ${text} NOT NULL, display_name ${text} NOT NULL, display_name_ci ${text} NOT NULL,
      external_id ${text}, attributes ${json} NOT NULL, version integer NOT NULL, created ${bigint} NOT NULL,
      last_modified ${bigint} NOT NULL, PRIMARY KEY (connection, id))`,
    'CREATE UNIQUE INDEX groups_display_name_ci_key ON groups (connection, display_name_ci)',
    'CREATE INDEX groups_external_id_idx ON groups (connection, external_id)',
    'CREATE INDEX groups_created_idx ON groups (connection, created, id)',
    `CREATE TABLE group_members (connection ${text} NOT NULL, group_id ${text} NOT NULL, member_id ${text} NOT NULL,
      PRIMARY KEY (connection, group_id, member_id),
      FOREIGN KEY (connection, group_id) REFERENCES groups (connection, id) ON DELETE CASCADE,
      FOREIGN KEY (connection, member_id) REFERENCES users (connection, id) ON DELETE CASCADE)`,
    'CREATE INDEX group_members_member_idx ON group_members (connection, member_id)',
    `CREATE TABLE sync_jobs (connection ${text} NOT NULL, user_id ${text} NOT NULL, generation integer NOT NULL, reason ${text} NOT NULL,
      request_ids ${json} NOT NULL, enqueued_at ${bigint} NOT NULL, available_at ${bigint} NOT NULL, attempts integer NOT NULL,
      last_error ${text}, held_reason ${text}, locked_by ${text}, locked_until ${bigint}, PRIMARY KEY (connection, user_id))`,
    'CREATE INDEX sync_jobs_available_idx ON sync_jobs (connection, available_at)',
    `CREATE TABLE sync_state (connection ${text} NOT NULL, user_id ${text} NOT NULL, status ${text} NOT NULL, target_id ${text},
      target_email ${text}, role ${text}, is_managed ${bool} NOT NULL, account_status ${text} NOT NULL,
      last_error_code ${text}, last_error_message ${text}, last_sync_at ${bigint}, updated_at ${bigint} NOT NULL,
      PRIMARY KEY (connection, user_id))`,
    'CREATE INDEX sync_state_target_idx ON sync_state (connection, target_id)',
    `CREATE TABLE audit_log (id ${autoId}, at ${bigint} NOT NULL, connection ${text} NOT NULL, user_id ${text} NOT NULL,
      request_ids ${json} NOT NULL, decision ${json} NOT NULL)`,
    'CREATE INDEX audit_log_user_idx ON audit_log (connection, user_id, at)',
    'CREATE INDEX audit_log_at_idx ON audit_log (at)',
  ];
}

/**
 * One account, one person (docs/architecture.md, promise 8). `target_email_ci` lets the engine find who
 * claims an email; a unique index makes the store itself refuse a second link to one account;
 * `sync_target_locks` serialises jobs that touch the same account or email across replicas
 * (sql/lease-ops.ts). Databases written before this may hold two states linked to one account:
 * the SCIM user created first keeps the link, every other one is unlinked, marked failed with
 * TARGET_CONFLICT and queued, so its next run says which user holds the account.
 */
function oneAccountOnePerson(d: Dialect, now: number): string[] {
  const { text } = d.types;
  return [
    `ALTER TABLE sync_state ADD COLUMN target_email_ci ${text}`,
    // Both databases fold case like JavaScript's toLowerCase (SQLite through scim_lower, dialect.ts).
    `UPDATE sync_state SET target_email_ci = ${d.name === 'postgres' ? 'lower' : 'scim_lower'}(target_email) WHERE target_email IS NOT NULL`,
    'CREATE INDEX sync_state_target_email_idx ON sync_state (connection, target_email_ci)',
    ...unlinkSharedTargets(d, now),
    'DROP INDEX sync_state_target_idx',
    'CREATE UNIQUE INDEX sync_state_target_key ON sync_state (connection, target_id) WHERE target_id IS NOT NULL',
    `CREATE TABLE sync_target_locks (connection ${text} NOT NULL, target_key ${text} NOT NULL, user_id ${text} NOT NULL,
      lease_token ${text} NOT NULL, PRIMARY KEY (connection, target_key))`,
    'CREATE INDEX sync_target_locks_user_idx ON sync_target_locks (connection, user_id)',
  ];
}

/** Of several states linked to one account, unlinks all but the SCIM user created first, and queues the unlinked users. */
export function unlinkSharedTargets(d: Dialect, now: number): string[] {
  const created = (alias: string): string =>
    `COALESCE((SELECT u.created FROM users u WHERE u.connection = ${alias}.connection AND u.id = ${alias}.user_id), 9007199254740991)`;
  const isEarlier = `(${created('o')} < ${created('sync_state')} OR (${created('o')} = ${created('sync_state')} AND o.user_id < sync_state.user_id))`;
  const emptyJson = d.name === 'postgres' ? `CAST('[]' AS jsonb)` : `'[]'`;
  return [
    `UPDATE sync_state SET target_id = NULL, is_managed = ${d.name === 'postgres' ? 'false' : '0'}, account_status = 'absent', status = 'failed',
      last_error_code = 'TARGET_CONFLICT',
      last_error_message = 'another SCIM user was linked to the same target account; this link was removed on upgrade'
      WHERE target_id IS NOT NULL AND EXISTS (SELECT 1 FROM sync_state o
        WHERE o.connection = sync_state.connection AND o.target_id = sync_state.target_id AND o.user_id <> sync_state.user_id AND ${isEarlier})`,
    `INSERT INTO sync_jobs (connection, user_id, generation, reason, request_ids, enqueued_at, available_at, attempts)
      SELECT s.connection, s.user_id, 1, 'reconcile', ${emptyJson}, ${now}, ${now}, 0 FROM sync_state s
      WHERE s.last_error_code = 'TARGET_CONFLICT' AND s.target_id IS NULL
        AND EXISTS (SELECT 1 FROM users u WHERE u.connection = s.connection AND u.id = s.user_id)
      ON CONFLICT (connection, user_id) DO NOTHING`,
  ];
}

/** Every migration, in order. Append new versions; never edit an applied one. */
export const migrations: readonly Migration[] = [
  { version: 1, name: 'directory', statements: initial },
  // Paging through live users (Okta's import: every page of 100) reads ids from this index alone,
  // without visiting deleted rows or the table (list-ops.ts): 84 → 30 ms for the last page of
  // 100,000 users on PostgreSQL 15.
  { version: 2, name: 'live-users-paging', statements: () => ['CREATE INDEX users_live_created_idx ON users (connection, created, id) WHERE deleted_at IS NULL'] },
  // A claim takes the first due jobs in (available_at, user_id) order. Without user_id in the
  // index every due job was sorted on each claim: a 5,000-member group push enqueues 5,000 jobs
  // with one available_at, and claims took 14% of the bridge's CPU (bench/converge).
  {
    version: 3,
    name: 'due-jobs-order',
    statements: () => ['DROP INDEX sync_jobs_available_idx', 'CREATE INDEX sync_jobs_due_idx ON sync_jobs (connection, available_at, user_id)'],
  },
  // Each claim gets a token that fences the job's writes (a worker that lost its lease writes
  // nothing), and a target write accepted but not final (a Redis Cloud task) stays with the job.
  // Existing times were written on the replicas' clocks and are read on the database's from now
  // on: clocks in sync, as they must have been, the values carry over.
  {
    version: 4,
    name: 'fenced-job-leases',
    statements: (d) => [`ALTER TABLE sync_jobs ADD COLUMN lease_token ${d.types.text}`, `ALTER TABLE sync_jobs ADD COLUMN pending_handle ${d.types.text}`],
  },
  // Limits shared by every replica (sql/coord-ops.ts): token buckets, named leases and sliding
  // windows. Short-lived state: copy-store leaves it behind.
  { version: 5, name: 'coordination', statements: coordination },
  { version: 6, name: 'one-account-one-person', statements: oneAccountOnePerson },
  // A job whose user failed for good waits out sync.failedRetryMs (hours) in the outbox: marked
  // parked (when, on the database's clock), it counts apart from the pending changes and their age.
  { version: 7, name: 'parked-failed-jobs', statements: (d) => [`ALTER TABLE sync_jobs ADD COLUMN parked_at ${d.types.bigint}`] },
  // Webhook notifications (sql/notify-ops.ts): one row per event and webhook until the receiver
  // accepted it, so a restart or a receiver away loses none.
  { version: 8, name: 'notify-outbox', statements: notifyOutbox },
  // Held work reaches a person: since when a job is held (`scim-bridge held`, /status), and who
  // approved it (`approve --by`), kept on the job until the worker's audit record names them.
  // Jobs held before this have no hold time: their oldest change stands in for it.
  {
    version: 9,
    name: 'held-since-approved-by',
    statements: (d) => [
      `ALTER TABLE sync_jobs ADD COLUMN held_at ${d.types.bigint}`,
      `ALTER TABLE sync_jobs ADD COLUMN approved_by ${d.types.text}`,
      'UPDATE sync_jobs SET held_at = enqueued_at WHERE held_reason IS NOT NULL',
    ],
  },
  { version: 10, name: 'unmanaged-accounts', statements: unmanagedAccounts },
  // What a run ignored and the user should know (an assigned role the target does not have): a JSON array of strings, or null.
  { version: 11, name: 'sync-warnings', statements: (d) => [`ALTER TABLE sync_state ADD COLUMN warnings ${d.types.text}`] },
  // A claim wants unheld jobs only. Without statistics (a queue filled faster than autovacuum
  // analyzes it: a first push of thousands of users) PostgreSQL takes `held_reason IS NULL` to
  // match 0.5% of the rows, so it read and sorted every due job on each claim instead of taking
  // the first from the index: 2-4 ms a claim with 3,000 jobs queued, against about 1 ms. An index
  // of unheld jobs only makes the condition part of the index. Listing held jobs (the CLI) scans.
  {
    version: 12,
    name: 'claimable-jobs-index',
    statements: () => ['DROP INDEX sync_jobs_due_idx', 'CREATE INDEX sync_jobs_claim_idx ON sync_jobs (connection, available_at, user_id) WHERE held_reason IS NULL'],
  },
];

function notifyOutbox(d: Dialect): string[] {
  const { text, json, bigint } = d.types;
  return [
    `CREATE TABLE notify_outbox (id ${text} PRIMARY KEY, webhook ${text} NOT NULL, event ${json} NOT NULL, created_at ${bigint} NOT NULL,
      available_at ${bigint} NOT NULL, attempts integer NOT NULL, last_error ${text}, lease_token ${text}, locked_until ${bigint})`,
    'CREATE INDEX notify_outbox_due_idx ON notify_outbox (webhook, available_at, created_at)',
  ];
}

/**
 * The latest report of target accounts nobody manages (sql/unmanaged-ops.ts): one header per
 * connection, one row per account, replaced whole by each reconcile.
 */
function unmanagedAccounts(d: Dialect): string[] {
  const { text, bigint } = d.types;
  return [
    `CREATE TABLE unmanaged_reports (connection ${text} PRIMARY KEY, reported_at ${bigint} NOT NULL, policy ${text} NOT NULL, total integer NOT NULL)`,
    `CREATE TABLE unmanaged_accounts (connection ${text} NOT NULL, email_ci ${text} NOT NULL, email ${text} NOT NULL, target_id ${text},
      name ${text}, role ${text}, account_status ${text} NOT NULL, protection ${text}, action ${text} NOT NULL, note ${text},
      first_seen_at ${bigint} NOT NULL, PRIMARY KEY (connection, email_ci))`,
  ];
}

function coordination(d: Dialect): string[] {
  const { text, bool, bigint, double } = d.types;
  return [
    `CREATE TABLE coord_buckets (name ${text} PRIMARY KEY, tat ${double} NOT NULL, taken ${bool} NOT NULL)`,
    `CREATE TABLE coord_leases (name ${text} PRIMARY KEY, holder ${text} NOT NULL, until ${bigint} NOT NULL)`,
    `CREATE TABLE coord_windows (name ${text} PRIMARY KEY, touched_at ${bigint} NOT NULL)`,
    `CREATE TABLE coord_events (name ${text} NOT NULL, at ${bigint} NOT NULL, expires_at ${bigint} NOT NULL)`,
    'CREATE INDEX coord_events_name_idx ON coord_events (name, at)',
    'CREATE INDEX coord_events_expires_idx ON coord_events (expires_at)',
  ];
}

/** Applies the migrations not yet recorded (of `list`, all by default); returns the versions applied. Run inside an exclusive transaction. */
export function* applyMigrations(d: Dialect, now: number = Date.now(), list: readonly Migration[] = migrations): Tx<number[]> {
  yield* exec(raw(`CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name ${d.types.text} NOT NULL, applied_at ${d.types.bigint} NOT NULL)`));
  const applied = new Set((yield* rows(sql`SELECT version FROM schema_migrations`)).map((row) => Number(row.version)));
  const done: number[] = [];
  for (const migration of list) {
    if (applied.has(migration.version)) continue;
    for (const statement of migration.statements(d, now)) yield* exec(raw(statement));
    yield* exec(sql`INSERT INTO schema_migrations (version, name, applied_at) VALUES (${migration.version}, ${migration.name}, ${now})`);
    done.push(migration.version);
  }
  return done;
}
