import { hostname } from 'node:os';

/**
 * Who is using a store: a serving bridge holds its store while it runs, and `copy-store` holds
 * both stores while it copies, so a copy never reads a store a bridge still writes. SQLite: a lock
 * file next to the database (sqlite/lock-file.ts); PostgreSQL: a session advisory lock, shared by
 * every serving replica and exclusive for a copy (postgres/store-lock.ts).
 */

/** Why a process holds a store. */
export type LockPurpose = 'serve' | 'copy-store';

/** A process holding a store, as far as the store can tell. */
export interface StoreHolder {
  purpose: LockPurpose | 'unknown';
  /** The holder's process id (null when the database cannot say). */
  pid: number | null;
  host: string | null;
  /** When it took the lock (epoch ms), when known. */
  since: number | null;
  /** PostgreSQL: the session's backend pid and client address. */
  backendPid?: number;
  clientAddress?: string | null;
}

/** A lock taken by `Store.lock`; `release` is idempotent. */
export interface StoreLock {
  release(): Promise<void>;
}

/** This process, as a holder. */
export function currentHolder(purpose: LockPurpose, now = Date.now()): StoreHolder & { pid: number; host: string; since: number } {
  return { purpose, pid: process.pid, host: hostname(), since: now };
}

/** "a bridge (serve) as pid 4242 on host app-1 since 2026-…", "copy-store as pid …", or what PostgreSQL says. */
export function describeHolder(holder: StoreHolder): string {
  const what = holder.purpose === 'serve' ? 'a bridge (serve)' : holder.purpose === 'copy-store' ? 'scim-bridge copy-store' : 'a database session';
  const parts = [what];
  if (holder.pid !== null) parts.push(`as pid ${holder.pid}`);
  if (holder.host !== null) parts.push(`on host ${holder.host}`);
  if (holder.backendPid !== undefined) parts.push(`(PostgreSQL backend ${holder.backendPid}${holder.clientAddress ? ` from ${holder.clientAddress}` : ''})`);
  if (holder.since !== null) parts.push(`since ${new Date(holder.since).toISOString()}`);
  return parts.join(' ');
}

/** The holders in one phrase. */
export function describeHolders(holders: readonly StoreHolder[]): string {
  if (holders.length === 0) return 'another process (the database does not say which)';
  const shown = holders.slice(0, 5).map(describeHolder).join('; ');
  return holders.length > 5 ? `${shown}; and ${holders.length - 5} more` : shown;
}
