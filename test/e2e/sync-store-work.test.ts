import { afterEach, describe, expect, it } from 'vitest';
import type { StoreWork } from '../../src/directory/sql/sql-store.js';
import { SqlStore } from '../../src/directory/sql/sql-store.js';
import * as okta from '../fixtures/okta/requests.js';
import { startTestBridge, type StoreKind, type TestBridge } from '../helpers/bridge.js';
import { createScimUser, person } from './sync-helpers.js';

/**
 * The store work of one job, counted (statements, commits, round trips to the database), for
 * the two jobs the convergence benchmark repeats: creating an account and pushing a group's role;
 * and of the SCIM create that queues the first.
 * Counts, not timings: they hold on a loaded machine, and a change that adds a statement or a
 * transaction to every job turns this red.
 */

const TYPE = 'redis-enterprise';
const USERS = 16;
const GROUP = 'Work Admins';
const mapping = ['type: redis-enterprise', 'roles:', '  default: db_viewer', '  rules:', `    - group: ${GROUP}`, '      role: admin', 'deactivate: role:none', 'delete: delete', ''].join('\n');

/**
 * Per-job budgets: what one job may cost at most, its share of the claims included (a drain
 * claims 8 at a time: 3 claims for 16 jobs). A push job: its share of the claim, which reads the
 * jobs' input (user, state and groups: PostgreSQL in the claim's statement, SQLite in three reads
 * for the batch inside the claim's transaction), the target locks, and the run's record (job
 * completed, state, audit) in one transaction (on PostgreSQL one statement). A create job adds
 * the claimant check, read with the target locks (PostgreSQL: in their statement; SQLite: in
 * their transaction), and the create's record. Before issue 12's last changes: create 12.2
 * statements (PostgreSQL 18.6 round trips), push 9.2 (13.6); before the claim read the input and
 * the locks the claimants, create 10.2 (5.2) and push 8.2 (3.2). The intake, POST /Users with no inline wait:
 * before, 6 statements on SQLite and 7 round trips on PostgreSQL (the user and its job in a
 * transaction, then the user's relations and its sync state read again).
 */
const budgets: Record<StoreKind, Record<'intake' | 'create' | 'push', StoreWork>> = {
  // SQLite reads the user, the state and the groups in three lookups: in process a statement
  // costs a few µs, a commit what matters.
  sqlite: {
    intake: { statements: 3, commits: 1, roundTrips: 3 },
    create: { statements: 7.6, commits: 3.2, roundTrips: 7.6 },
    push: { statements: 5.6, commits: 2.2, roundTrips: 5.6 },
  },
  postgres: {
    intake: { statements: 1, commits: 1, roundTrips: 1 },
    create: { statements: 3.2, commits: 3.2, roundTrips: 3.2 },
    push: { statements: 2.2, commits: 2.2, roundTrips: 2.2 },
  },
};

describe.each(['sqlite', 'postgres'] as const)('store work per job on %s', (kind: StoreKind) => {
  let tb: TestBridge | undefined;
  afterEach(async () => {
    await tb?.close();
    tb = undefined;
  });

  /** The work the store did while `fn` ran, per user. */
  async function perJob(fn: () => Promise<unknown>): Promise<StoreWork> {
    const store = tb!.store as SqlStore;
    const before = { ...store.work };
    await fn();
    const after = store.work;
    return {
      statements: (after.statements - before.statements) / USERS,
      commits: (after.commits - before.commits) / USERS,
      roundTrips: (after.roundTrips - before.roundTrips) / USERS,
    };
  }

  it('creates an account and pushes a role within the budget of statements, commits and round trips', async () => {
    tb = await startTestBridge({ store: kind, types: [TYPE], runWorkers: false, mappings: { [TYPE]: mapping }, limits: { concurrency: 8 } });
    expect(tb.store).toBeInstanceOf(SqlStore);
    const ids: string[] = [];
    // POST /Users with no inline wait: the user and its job in one transaction, and nothing read
    // afterwards (a new user has no groups and no sync state yet).
    const intake = await perJob(async () => {
      for (let i = 0; i < USERS; i++) ids.push(await createScimUser(tb!, TYPE, okta.createUser(person(`work${i}`))));
    });
    const engine = tb.bridge.engine;
    const create = await perJob(() => engine.drain([TYPE]));
    const summary = await tb.store.syncSummary(TYPE);
    expect(summary.byStatus.synced).toBe(USERS);

    const scim = tb.scim(TYPE);
    const group = (await scim.post('/Groups', okta.createGroup(GROUP)).expect(201)).body as { id: string };
    await scim.patch(`/Groups/${group.id}`, okta.changeMembers([], ids.map((value, i) => ({ value, display: `work${i}@example.com` })))).expect(204);
    const push = await perJob(() => engine.drain([TYPE]));
    const states = await tb.store.listSyncStates(TYPE);
    expect(states.filter((s) => s.status === 'synced' && s.role === 'admin')).toHaveLength(USERS);

    // Printed so a failure shows the figures (and a run shows them for BENCHMARKS.md).
    console.log(`${kind} per job: intake ${JSON.stringify(intake)}, create ${JSON.stringify(create)}, push ${JSON.stringify(push)}`);
    for (const [phase, work] of [['intake', intake], ['create', create], ['push', push]] as const) {
      const budget = budgets[kind][phase];
      expect({ phase, ...work }).toEqual({
        phase,
        statements: Math.min(work.statements, budget.statements),
        commits: Math.min(work.commits, budget.commits),
        roundTrips: Math.min(work.roundTrips, budget.roundTrips),
      });
    }
  });
});
