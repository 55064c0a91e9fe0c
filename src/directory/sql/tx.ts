import type { Sql } from './sql.js';

/**
 * Store logic is written once, as generators that yield statements and receive their results.
 * The SQLite store drives a generator synchronously inside `db.transaction` (no await can split
 * a transaction); the PostgreSQL store drives it with `await` on one pooled client between
 * BEGIN and COMMIT. A statement that fails is thrown back into the generator, so logic can turn
 * a generic uniqueness error into one naming the value.
 */

/** A database row as the driver returns it (pg: bigint as string, jsonb parsed; SQLite: JSON as text). */
export type Row = Record<string, unknown>;

/** One statement for the driver to run. */
export interface Statement {
  query: Sql;
}

/** What the driver hands back for a statement: its rows (if any) and how many rows it changed. */
export interface StatementResult {
  rows: Row[];
  changes: number;
}

/** A unit of store work; the driver runs it in one transaction (writes) or on one connection (reads). */
export type Tx<T> = Generator<Statement, T, StatementResult>;

/** Runs a query and returns its rows. */
export function* rows(query: Sql): Tx<Row[]> {
  const result = yield { query };
  return result.rows;
}

/** Runs a query and returns its first row, if any. */
export function* first(query: Sql): Tx<Row | undefined> {
  const result = yield { query };
  return result.rows[0];
}

/** Runs a statement and returns the number of rows it changed. */
export function* exec(query: Sql): Tx<number> {
  const result = yield { query };
  return result.changes;
}

type Outcome = { result: StatementResult } | { error: unknown };

/** Resumes a unit of work with a statement's result, or throws the statement's error into it. */
function resume<T>(tx: Tx<T>, outcome: Outcome): IteratorResult<Statement, T> {
  return 'error' in outcome ? tx.throw(outcome.error) : tx.next(outcome.result);
}

/** Runs a generator to completion with a synchronous executor (SQLite). */
export function driveSync<T>(tx: Tx<T>, run: (statement: Statement) => StatementResult): T {
  let step = tx.next();
  while (!step.done) {
    const statement = step.value;
    let outcome: Outcome;
    try {
      outcome = { result: run(statement) };
    } catch (error) {
      outcome = { error };
    }
    step = resume(tx, outcome);
  }
  return step.value;
}

/** Runs a generator to completion with an asynchronous executor (PostgreSQL). */
export async function driveAsync<T>(tx: Tx<T>, run: (statement: Statement) => Promise<StatementResult>): Promise<T> {
  let step = tx.next();
  while (!step.done) {
    const outcome = await run(step.value).then(
      (result): Outcome => ({ result }),
      (error: unknown): Outcome => ({ error }),
    );
    step = resume(tx, outcome);
  }
  return step.value;
}
