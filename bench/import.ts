import { prepareBenchStore, type BenchStore } from './lib/bench-store.js';
import { startBridgeChild } from './lib/children.js';
import { importLine, importPages, type ImportTimes } from './lib/import-pages.js';
import { benchArgs, ms, printFooter, printHeader, progress } from './lib/run-info.js';
import { seedUsers } from './lib/seed.js';

/**
 * The Okta import by the state of the store (issue 12: the deepest page within 2x the first).
 * `users` users are seeded through the Store API (each with a sync state), then every page of
 * `GET /Users?startIndex=…&count=100` is read in order, `rounds` times in each state:
 * - PostgreSQL, after ANALYZE and before any VACUUM: no page of the table is marked all-visible,
 *   so counting and skipping users reads the table row by row (the state a table is in between
 *   a bulk load or many updates and autovacuum's next VACUUM). Autovacuum is turned off for the
 *   users table during the run so that the state holds.
 * - PostgreSQL, after VACUUM ANALYZE: index-only scans read the index alone.
 * - SQLite: as seeded (the store keeps its own statistics).
 */

const args = benchArgs({ store: 'postgres', users: '100000', rounds: '2' });

interface Round {
  state: string;
  times: ImportTimes;
}

async function rounds(store: BenchStore, state: string, users: number): Promise<Round[]> {
  const bridge = await startBridgeChild({ store: store.location, connections: [{ name: 'directory', target: null }], runWorkers: false, logLevel: 'info', dir: store.dir });
  try {
    const done: Round[] = [];
    for (let round = 1; round <= args.int('rounds'); round++) {
      progress(`${state}: import ${round} of ${args.int('rounds')}`);
      const times = await importPages(bridge, 'directory', users);
      console.log(`${state}, import ${round}: ${importLine(times)}`);
      done.push({ state, times });
    }
    return done;
  } finally {
    await bridge.stop();
  }
}

async function main(): Promise<void> {
  const store = prepareBenchStore(args.store);
  printHeader('import', await store.describe());
  const users = args.int('users');
  try {
    progress(`seeding ${users} users`);
    const opened = await store.open(16);
    await seedUsers(opened, 'directory', users, { concurrency: 16, isSynced: true }).finally(() => opened.close());
    const results: Round[] = [];
    if (store.kind === 'postgres') {
      await store.execute(['ALTER TABLE users SET (autovacuum_enabled = off)', 'ANALYZE users', 'ANALYZE sync_state']);
      results.push(...(await rounds(store, 'after ANALYZE, before VACUUM', users)));
      await store.execute(['VACUUM ANALYZE users', 'VACUUM ANALYZE sync_state']);
      results.push(...(await rounds(store, 'after VACUUM ANALYZE', users)));
    } else {
      results.push(...(await rounds(store, 'as seeded', users)));
    }
    console.log(`\n## Okta import, ${users} users, 100 per page, one client (${store.kind})\n`);
    console.log('| state of the store | import | whole import | first page | medians of ten pages: first, middle, last | last ten / first ten | slowest page |');
    console.log('|---|---|---|---|---|---|---|');
    results.forEach(({ state, times }, i) => {
      const medians = `${ms(times.firstTen)}, ${ms(times.middleTen)}, ${ms(times.lastTen)}`;
      console.log(`| ${state} | ${(i % args.int('rounds')) + 1} | ${(times.totalMs / 1000).toFixed(1)} s | ${ms(times.first)} | ${medians} | ${(times.lastTen / times.firstTen).toFixed(2)}x | ${ms(times.slowest)} |`);
    });
  } finally {
    await store.dispose();
  }
}

const startedAt = performance.now();
await main();
printFooter(startedAt);
