import type { CallOptions, Connector, RemovalResult, TargetAccount } from '../connectors/types.js';
import { BridgeError } from '../errors.js';

/**
 * Access removal is confirmed, never assumed (docs/architecture.md, promise 9). A disable or delete the
 * target did not answer with a clear success (`unconfirmed`: the connector found the account
 * gone, or the target answered an exact "no such user" code) counts only once a fresh read
 * agrees: the account is gone, or (for a disable) disabled. Anything else fails with
 * REMOVAL_UNCONFIRMED, so the user is `failed`, reported and retried, never shown as removed.
 */

/** Which removal ran: `disable` keeps a disabled account, `delete` leaves none. */
export type RemovalOp = 'disable' | 'delete';

/** Runs one target read for the check (the caller records it for the audit log). */
export type CheckRead = (detail: string, read: () => Promise<TargetAccount | null>) => Promise<TargetAccount | null>;

/** Whether an account still gives its person access: active or invited, and not on the no-access role. */
export function grantsAccess(account: TargetAccount, noAccessRole?: string): boolean {
  if (account.status === 'disabled') return false;
  const role = account.role?.toLowerCase();
  return noAccessRole === undefined || role !== noAccessRole.toLowerCase();
}

/**
 * The account after a removal: `account` disabled, or null when deleted. Re-reads an
 * unconfirmed removal (by id where the connector can, else by email) and throws
 * REMOVAL_UNCONFIRMED when the target still lists the account with access.
 */
export async function confirmRemoval(
  connector: Pick<Connector, 'getAccount' | 'findByEmail' | 'capabilities'>,
  account: TargetAccount,
  op: RemovalOp,
  result: RemovalResult,
  read: CheckRead,
  options: CallOptions = {},
): Promise<TargetAccount | null> {
  const removed = op === 'delete' ? null : { ...account, status: 'disabled' as const };
  if (result === 'confirmed') return removed;
  const current = await read(`confirm ${account.email} is ${op === 'delete' ? 'gone' : 'disabled'}`, () => reread(connector, account, options));
  if (current === null) return removed;
  if (op === 'disable' && !grantsAccess(current, connector.capabilities.noAccessRole)) return current;
  throw new BridgeError('REMOVAL_UNCONFIRMED', `the target did not confirm the ${op} of ${account.email} and still lists the account as ${current.status}`, {
    details: { op, email: account.email, accountId: current.id, accountStatus: current.status },
  });
}

async function reread(connector: Pick<Connector, 'getAccount' | 'findByEmail'>, account: TargetAccount, options: CallOptions): Promise<TargetAccount | null> {
  if (account.id !== null && connector.getAccount) {
    const byId = await connector.getAccount(account.id, options);
    if (byId) return byId;
  }
  return connector.findByEmail(account.email, options);
}
