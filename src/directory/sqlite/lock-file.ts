import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { BridgeError } from '../../errors.js';
import { currentHolder, describeHolder, type LockPurpose, type StoreHolder, type StoreLock } from '../store-lock.js';

/**
 * The lock file of an SQLite store: `<database>.lock` beside it, created exclusively (O_EXCL),
 * holding the holder's purpose, pid, host and start time as JSON. A file left by a process that is
 * gone (same host, pid not running: kill -9, a crash) is stale and taken over; one from another
 * host cannot be checked and counts as held (the message says which file to delete once that
 * bridge is stopped). An SQLite file serves one bridge process: a second `serve` is refused too,
 * while serving bridges of one process (tests) share the lock.
 */

interface Held {
  purpose: LockPurpose;
  count: number;
}

/** Locks this process holds, by lock-file path. */
const heldHere = new Map<string, Held>();

/** The lock file's path for a database file. */
export function lockPathOf(databasePath: string): string {
  return `${databasePath}.lock`;
}

/** Takes the lock file of `databasePath` for `purpose`, or throws STORE_LOCKED naming the holder. */
export function lockSqliteFile(databasePath: string, purpose: LockPurpose): StoreLock {
  const lockPath = lockPathOf(databasePath);
  const mine = heldHere.get(lockPath);
  if (mine && mine.purpose === 'serve' && purpose === 'serve') {
    mine.count++;
    return releaser(lockPath);
  }
  if (mine) throw lockedError(databasePath, lockPath, currentHolder(mine.purpose));
  for (let attempt = 0; attempt < 3; attempt++) {
    if (tryCreate(lockPath, purpose)) {
      heldHere.set(lockPath, { purpose, count: 1 });
      return releaser(lockPath);
    }
    const holder = readHolder(lockPath);
    if (holder && isAlive(holder)) throw lockedError(databasePath, lockPath, holder);
    // Stale (its process is gone) or unreadable (a holder killed while writing it): take it over.
    removeQuietly(lockPath);
  }
  throw new BridgeError('STORE_LOCKED', `cannot take the lock file ${lockPath}: other processes keep taking it`);
}

function tryCreate(lockPath: string, purpose: LockPurpose): boolean {
  let fd: number;
  try {
    fd = openSync(lockPath, 'wx', 0o644);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw new BridgeError('STORE_UNAVAILABLE', `cannot create the lock file ${lockPath}: ${(err as Error).message}`, { kind: 'permanent', cause: err });
  }
  try {
    writeSync(fd, `${JSON.stringify(currentHolder(purpose))}\n`);
  } finally {
    closeSync(fd);
  }
  return true;
}

/** The holder a lock file names; null when it cannot be read or parsed. */
export function readHolder(lockPath: string): StoreHolder | null {
  try {
    const parsed = JSON.parse(readFileSync(lockPath, 'utf8')) as Partial<StoreHolder>;
    if (typeof parsed.pid !== 'number' || typeof parsed.host !== 'string') return null;
    const purpose = parsed.purpose === 'serve' || parsed.purpose === 'copy-store' ? parsed.purpose : 'unknown';
    return { purpose, pid: parsed.pid, host: parsed.host, since: typeof parsed.since === 'number' ? parsed.since : null };
  } catch {
    return null;
  }
}

/** Whether the holder may still run: on this host, its pid exists; on another host, no way to tell (yes). */
function isAlive(holder: StoreHolder): boolean {
  if (holder.host !== hostname() || holder.pid === null) return true;
  // Our own pid without an entry in `heldHere`: a file left by an earlier process that had it.
  if (holder.pid === process.pid) return false;
  try {
    process.kill(holder.pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function lockedError(databasePath: string, lockPath: string, holder: StoreHolder): BridgeError {
  const remote = holder.host !== hostname() ? ` (another host: if that process is stopped, delete ${lockPath})` : '';
  return new BridgeError('STORE_LOCKED', `the store ${databasePath} is in use by ${describeHolder(holder)}${remote}`, {
    details: { pid: holder.pid, host: holder.host, purpose: holder.purpose, lockFile: lockPath },
  });
}

function releaser(lockPath: string): StoreLock {
  let isReleased = false;
  return {
    release() {
      if (isReleased) return Promise.resolve();
      isReleased = true;
      const held = heldHere.get(lockPath);
      if (!held) return Promise.resolve();
      held.count--;
      if (held.count > 0) return Promise.resolve();
      heldHere.delete(lockPath);
      // Only our own file: never one a process that took over a stale lock meanwhile wrote.
      const holder = readHolder(lockPath);
      if (holder?.pid === process.pid && holder.host === hostname()) removeQuietly(lockPath);
      return Promise.resolve();
    },
  };
}

function removeQuietly(lockPath: string): void {
  try {
    unlinkSync(lockPath);
  } catch {
    // Gone already.
  }
}
