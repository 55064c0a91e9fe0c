import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ConnectorCapabilities, TargetAccount } from '../../../src/connectors/types.js';
import { createStore } from '../../../src/directory/create-store.js';
import type { Store, SyncState } from '../../../src/directory/store.js';
import { createSilentLogger } from '../../../src/logging/logger.js';
import type { SyncConnection } from '../../../src/sync/connection.js';
import { silentNotifier } from '../../../src/sync/notifier.js';
import { reconcileConnection } from '../../../src/sync/reconciler.js';

/**
 * The reconciler compares one listing of the target with the sync states, read afterwards. A
 * state the worker writes after the listing was taken is newer than the listing: it must not be
 * reported as drift (seen in bench/converge as hundreds of needless re-runs, one account read
 * each, when the first pass ran while users were still being created).
 */

const capabilities: ConnectorCapabilities = {
  create: 'sync', deactivation: 'role', noAccessRole: 'none', refusesTakenEmail: true, canReactivate: true, canDelete: true, isEmailMutable: false, isNameMutable: true, isRoleMutable: true,
  roles: ['admin', 'db_viewer', 'none'],
};
const account = (id: string, email: string, role = 'db_viewer'): TargetAccount => ({ id, email, name: null, role, status: 'active' });
const stateOf = (userId: string, acct: TargetAccount, at: number): SyncState => ({
  connection: 'c', userId, status: 'synced', targetId: acct.id, targetEmail: acct.email, role: acct.role, isManaged: true, accountStatus: 'active',
  lastError: null, lastSyncAt: at, updatedAt: at,
});
const userInput = (email: string) => ({ userName: email, externalId: null, active: true, emails: [{ value: email, type: null, primary: true }], attributes: { userName: email } });

describe('reconcileConnection', () => {
  let store: Store;
  /** The target's accounts; `afterListing` runs once the listing has been read (the worker, meanwhile). */
  let accounts: TargetAccount[];
  let afterListing: () => Promise<void>;

  const connection = (): SyncConnection => ({
    name: 'c', type: 'redis-enterprise', mode: 'eventual',
    connector: {
      capabilities,
      async *listAccounts() {
        const listed = [...accounts];
        yield* listed;
        await afterListing();
      },
    } as unknown as SyncConnection['connector'],
    evaluate: () => { throw new Error('not used'); },
    roles: null,
    settings: {} as SyncConnection['settings'],
    concurrency: 1, drift: 'repair', unmanaged: 'report', writeLock: null, protectedEmails: new Set(), logger: createSilentLogger(), notifier: silentNotifier,
  });

  beforeEach(async () => {
    store = createStore('sqlite::memory:');
    await store.migrate();
    accounts = [];
    afterListing = async () => undefined;
  });
  afterEach(() => store.close());

  async function user(email: string): Promise<string> {
    return (await store.createUser('c', userInput(email), { requestId: 'r' })).id;
  }

  it('does not report accounts created, or roles changed, after the listing was taken', async () => {
    const old = await user('old@example.com');
    const oldAccount = account('1', 'old@example.com');
    accounts.push(oldAccount);
    await store.putSyncState(stateOf(old, oldAccount, Date.now() - 60_000));
    const fresh = await user('fresh@example.com');
    afterListing = async () => {
      // The worker, while the reconciler reads: creates an account and makes the old user an admin.
      const created = account('2', 'fresh@example.com');
      accounts.push(created);
      await store.putSyncState(stateOf(fresh, created, Date.now()));
      await store.putSyncState(stateOf(old, { ...oldAccount, role: 'admin' }, Date.now()));
    };
    const report = await reconcileConnection(store, connection());
    expect(report.drift).toEqual([]);
    expect(report.queued).toBe(0);
  });

  it('still reports drift in states written before the listing', async () => {
    const gone = await user('gone@example.com');
    await store.putSyncState(stateOf(gone, account('3', 'gone@example.com'), Date.now() - 1_000));
    const demoted = await user('demoted@example.com');
    accounts.push(account('4', 'demoted@example.com', 'db_viewer'));
    await store.putSyncState(stateOf(demoted, account('4', 'demoted@example.com', 'admin'), Date.now() - 1_000));
    const report = await reconcileConnection(store, connection());
    expect(report.drift.map((d) => [d.kind, d.email]).sort()).toEqual([
      ['deleted-in-target', 'gone@example.com'],
      ['role-changed', 'demoted@example.com'],
    ]);
  });

  it('reads the users behind a page of states in one read, and still finds what each one shows', async () => {
    const roles: [string, string][] = [];
    for (let i = 0; i < 12; i++) {
      const email = `page${i}@example.com`;
      const id = await user(email);
      // Every third one's role was changed in the target's console; one is deleted in the IdP below (a tombstone).
      const listed = account(String(100 + i), email, i % 3 === 0 ? 'admin' : 'db_viewer');
      accounts.push(listed);
      await store.putSyncState(stateOf(id, { ...listed, role: 'db_viewer' }, Date.now() - 1_000));
      roles.push([id, email]);
    }
    const [orphanId] = roles[1]!;
    await store.deleteUser('c', orphanId, {}, { requestId: 'r' });
    const reads = { getUser: 0, getUsers: 0 };
    const getUser = store.getUser.bind(store);
    const getUsers = store.getUsers.bind(store);
    store.getUser = (...args) => (reads.getUser++, getUser(...args));
    store.getUsers = (...args) => (reads.getUsers++, getUsers(...args));
    const report = await reconcileConnection(store, connection());
    expect(reads).toEqual({ getUser: 0, getUsers: 1 });
    expect(report.drift.filter((d) => d.kind === 'role-changed').map((d) => d.email).sort()).toEqual(['page0@example.com', 'page3@example.com', 'page6@example.com', 'page9@example.com']);
    // A tombstone still stands behind its state (read with the others): not an orphan.
    expect(report.drift.filter((d) => d.userId === orphanId).map((d) => d.kind)).not.toContain('orphaned');
  });
});
