#!/usr/bin/env node
import { Command, InvalidArgumentError } from 'commander';
import { approveCommand, type ApproveOptions } from './commands/approve.js';
import { auditCommand, type AuditOptions } from './commands/audit.js';
import { heldCommand, type HeldOptions } from './commands/held.js';
import { processIo, reportError } from './commands/context.js';
import { copyStoreCommand, copyStoreNotes, type CopyStoreOptions } from './commands/copy-store.js';
import { planCommand, type PlanOptions } from './commands/plan.js';
import { serveCommand, type ServeOptions } from './commands/serve.js';
import { simulateCommand, type SimulateOptions } from './commands/simulate.js';
import { statusCommand, type StatusOptions } from './commands/status.js';
import { syncCommand } from './commands/sync.js';
import { unmanagedCommand, type UnmanagedOptions } from './commands/unmanaged.js';
import { validateCommand, type ValidateOptions } from './commands/validate.js';
import { connectorTypes } from './connectors/types.js';
import { bridgeVersion } from './observability/startup.js';

/** The `scim-bridge` command line: a table of commands; each command's logic lives in src/commands/. Reference: docs/cli.md. */

/** Runs a command that finishes: prints any problem without a stack trace and sets the exit code. */
function finite<A extends unknown[]>(command: (...args: A) => Promise<number>): (...args: A) => Promise<void> {
  return async (...args) => {
    let code: number;
    try {
      code = await command(...args);
    } catch (err) {
      code = reportError(err, processIo);
    }
    process.exitCode = code;
    // Everything is closed by now; should a stray handle keep the event loop alive, leave anyway.
    setTimeout(() => process.exit(code), 2_000).unref();
  };
}

/** Runs a command that serves until a signal: a problem while starting exits 1. */
function lasting<A extends unknown[]>(command: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return (...args) => command(...args).catch((err: unknown) => process.exit(reportError(err, processIo)));
}

const integer = (min: number) => (value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`expected an integer of at least ${min}`);
  return n;
};

const isoTime = (value: string): number => {
  const ms = Date.parse(value);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(ms)) throw new InvalidArgumentError('expected an ISO 8601 date or time, like 2025-01-31 or 2025-01-31T08:00:00Z');
  return ms;
};

const configOption = ['-c, --config <file>', 'configuration file (else SCIM_BRIDGE_CONFIG, else ./bridge.yaml, else the sandbox)'] as const;
const connectionOption = ['--connection <name>', 'only this connection'] as const;

const program = new Command('scim-bridge').description('SCIM 2.0 bridge for applications without SCIM').version(bridgeVersion()).showHelpAfterError();
program
  .command('serve', { isDefault: true })
  .description('run the bridge (the sandbox when no configuration file exists)')
  .option(...configOption)
  .action(lasting((options: ServeOptions) => serveCommand(options)));
program
  .command('sandbox')
  .description('run the sandbox: one connection per target type, each with an in-process simulator')
  .action(lasting(() => serveCommand({ sandbox: true })));
program
  .command('simulate <type>')
  .description(`run one target simulator alone (${connectorTypes.join(', ')})`)
  .option('-p, --port <port>', 'port', integer(0), 0)
  .option('--host <host>', 'address to listen on', '127.0.0.1')
  .option('--auto-accept <seconds>', 'accept invitations (Redis Cloud, Paradime) this long after they are sent', integer(0))
  .action(lasting((type: string, options: SimulateOptions) => simulateCommand(type, options)));
program
  .command('validate')
  .description('check the configuration and every mapping file (and, with --check-targets, the target credentials)')
  .option(...configOption)
  .option('--check-targets', 'also make one read per target to check its URL and credentials')
  .action(finite((options: ValidateOptions) => validateCommand(options)));
program
  .command('plan')
  .description('dry run: what convergence would do for every user, with no write to any target')
  .option(...configOption)
  .option(...connectionOption)
  .option('--json', 'print JSON')
  .action(finite((options: PlanOptions) => planCommand(options)));
program
  .command('sync')
  .description('converge every user and reconcile now (exit 2 when users remain pending, failed or held)')
  .option(...configOption)
  .option(...connectionOption)
  .action(finite((options: { config?: string; connection?: string }) => syncCommand(options)));
program
  .command('status')
  .description('per connection: users, synced, pending, failed with the top reasons, held jobs, queue')
  .option(...configOption)
  .option(...connectionOption)
  .option('--json', 'print JSON')
  .action(finite((options: StatusOptions) => statusCommand(options)));
program
  .command('unmanaged')
  .description('target accounts no SCIM user stands behind (lists the target now; changes nothing)')
  .option(...configOption)
  .requiredOption('--connection <name>', 'the connection whose target to list')
  .option('--stored', 'print the latest saved report (the last reconcile) without calling the target')
  .option('--json', 'print JSON')
  .action(finite((options: UnmanagedOptions) => unmanagedCommand(options)));
program
  .command('approve')
  .description('release jobs held by the mass-deprovisioning guard')
  .option(...configOption)
  .requiredOption('--connection <name>', 'the connection whose held jobs to release')
  .option('--user <user...>', 'only these users (userName or id)')
  .option('--by <name>', 'who approves, recorded in the audit log (default: the operating-system user)')
  .option('--dry-run', 'list what would be released and change nothing')
  .option('--json', 'print JSON')
  .action(finite((options: ApproveOptions) => approveCommand(options)));
program
  .command('held')
  .description('list what the mass-deprovisioning guard holds: for whom, why, since when, and what releasing it would do')
  .option(...configOption)
  .requiredOption('--connection <name>', 'the connection whose held jobs to list')
  .option('--json', 'print JSON')
  .action(finite((options: HeldOptions) => heldCommand(options)));
program
  .command('audit')
  .description('show the decision audit log, newest first')
  .option(...configOption)
  .option(...connectionOption)
  .option('--user <user>', 'only this user (userName, id, or the email of a deleted user)')
  .option('--since <time>', 'only records at or after this ISO 8601 time', isoTime)
  .option('--limit <n>', 'at most this many records (default 100; all with --jsonl)', integer(1))
  .option('--jsonl', 'JSON lines: one record per line, nothing else on stdout')
  .action(finite((options: AuditOptions) => auditCommand(options)));
program
  .command('copy-store')
  .description('copy the whole store into an empty one (SQLite to PostgreSQL), keeping every SCIM id; stop the bridge first')
  .requiredOption('--from <store-url>', 'the store to copy, like sqlite:./data/bridge.db (the bridge must be stopped)')
  .requiredOption('--to <store-url>', 'the empty store to fill, like postgres://user:password@host:5432/db')
  .addHelpText('after', copyStoreNotes)
  .action(finite((options: CopyStoreOptions) => copyStoreCommand(options)));

await program.parseAsync(process.argv);
