import { expect } from 'vitest';
import type { TargetAccount, ConnectorType } from '../../src/connectors/types.js';
import { eventually, type TestBridge } from '../helpers/bridge.js';

/** The sync extension URN on SCIM users. */
export const SYNC = 'urn:scim-bridge:schemas:extension:sync:1.0:User';

/** The account as the target holds it, read through the connection's own connector. */
export async function targetAccount(tb: TestBridge, type: ConnectorType, email: string): Promise<TargetAccount | null> {
  const connection = tb.bridge.engine.connection(type);
  if (!connection) throw new Error(`no connection ${type}`);
  return connection.connector.findByEmail(email);
}

/** Waits until the target's account satisfies `check` (null = no account). */
export async function waitForAccount(
  tb: TestBridge,
  type: ConnectorType,
  email: string,
  check: (account: TargetAccount | null) => boolean,
  what: string,
): Promise<TargetAccount | null> {
  let last: TargetAccount | null = null;
  await eventually(
    async () => {
      last = await targetAccount(tb, type, email);
      return check(last);
    },
    { timeoutMs: 15_000, what: `${type}: ${what} (last seen: ${JSON.stringify(last)})` },
  );
  return last;
}

/** The sync extension of a SCIM user. */
export async function syncOf(tb: TestBridge, type: ConnectorType, userId: string): Promise<Record<string, unknown>> {
  const response = await tb.scim(type).get(`/Users/${userId}`).expect(200);
  return (response.body as Record<string, Record<string, unknown>>)[SYNC] ?? {};
}

/** Waits until the user's sync extension satisfies `check`. */
export async function waitForSync(tb: TestBridge, type: ConnectorType, userId: string, check: (sync: Record<string, unknown>) => boolean, what: string): Promise<Record<string, unknown>> {
  let last: Record<string, unknown> = {};
  await eventually(
    async () => {
      last = await syncOf(tb, type, userId);
      return check(last);
    },
    { timeoutMs: 15_000, what: `${type}: ${what} (last: ${JSON.stringify(last)})` },
  );
  return last;
}

/** Role check that accepts the target's spelling and aliases. */
export function hasRoleOf(account: TargetAccount | null, role: string): boolean {
  if (!account) return false;
  return [account.role, ...(account.roleAliases ?? [])].some((r) => r?.toLowerCase() === role.toLowerCase());
}

/** Creates a SCIM user and returns its id (asserting 201). */
export async function createScimUser(tb: TestBridge, type: ConnectorType, body: unknown): Promise<string> {
  const response = await tb.scim(type).post('/Users', body);
  expect(response.status, JSON.stringify(response.body)).toBe(201);
  return (response.body as { id: string }).id;
}

/** An Okta person named `name` (userName `name@example.com`). */
export const person = (name: string): { userName: string; givenName: string; familyName: string; oktaId: string } => ({
  userName: `${name}@example.com`,
  givenName: name,
  familyName: 'Test',
  oktaId: `00u${name}`,
});

/** Every account of the target with this email (several only when the target let duplicates in). */
export async function accountsWith(tb: TestBridge, type: ConnectorType, email: string): Promise<TargetAccount[]> {
  const connection = tb.bridge.engine.connection(type);
  if (!connection) throw new Error(`no connection ${type}`);
  const found: TargetAccount[] = [];
  for await (const account of connection.connector.listAccounts()) if (account.email.toLowerCase() === email.toLowerCase()) found.push(account);
  return found;
}
