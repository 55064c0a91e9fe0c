import { BridgeError } from '../../errors.js';
import type { NewAccount, TargetAccount } from '../types.js';
import { canonicalRedisCloudRole, type RedisCloudAccountUser, type RedisCloudRole, type RedisCloudRootAccount } from './schemas.js';

/** Who holds the API key: `GET /` names the user by id and the key owner by email (RC-OAS `RootAccount` example). */
export interface RedisCloudKeyUser {
  id?: number;
  email?: string;
}

/** Reads the API key's own user out of `GET /`. */
export function keyUserOf(root: RedisCloudRootAccount): RedisCloudKeyUser {
  const key = root.account.key;
  return {
    ...(key?.userAccountId !== undefined ? { id: key.userAccountId } : {}),
    ...(key?.owner?.email !== undefined ? { email: key.owner.email } : {}),
  };
}

/** Whether this user holds the API key (by id, else by the key owner's email). */
export function isKeyUser(user: RedisCloudAccountUser, key: RedisCloudKeyUser): boolean {
  if (key.id !== undefined) return user.id === key.id;
  return key.email !== undefined && user.email.toLowerCase() === key.email.toLowerCase();
}

/**
 * Whether the user is an invitation not yet verified. RC-OAS has no status field (docs/simulators/redis-cloud.md); the
 * simulator sends `signUp: ""` until the invitee verifies. A missing `signUp` reads as active,
 * because the RC-OAS `AccountUser` example omits it for an ordinary user.
 */
export function isInvitedUser(user: RedisCloudAccountUser): boolean {
  return user.signUp !== undefined && user.signUp.trim() === '';
}

/** A Redis Cloud user in the bridge's vocabulary. */
export function toTargetAccount(user: RedisCloudAccountUser, key: RedisCloudKeyUser): TargetAccount {
  const role = user.role === undefined ? null : (canonicalRedisCloudRole(user.role) ?? user.role);
  return {
    id: String(user.id),
    email: user.email,
    name: user.name ?? null,
    role,
    ...(role === 'Logs Viewer (API use only)' ? { roleAliases: ['Logs Viewer'] } : {}),
    status: isInvitedUser(user) ? 'invited' : 'active',
    ...(isKeyUser(user, key) ? { protection: 'api-key-user' as const } : {}),
  };
}

/** The canonical role, or a permanent TARGET_REJECTED naming the accepted ones. */
export function requireRedisCloudRole(role: string): RedisCloudRole {
  const canonical = canonicalRedisCloudRole(role);
  if (canonical) return canonical;
  throw new BridgeError('TARGET_REJECTED', `"${role}" is not a Redis Cloud role`, {
    details: { reason: 'unknown-role', role },
  });
}

/** The name Redis Cloud requires: the display name, else given + family name, else the email's local part. */
export function displayNameOf(account: Pick<NewAccount, 'email' | 'name' | 'givenName' | 'familyName'>): string {
  const joined = [account.givenName, account.familyName].filter((part) => part !== null && part !== undefined && part.trim() !== '').join(' ');
  return account.name?.trim() || joined || (account.email.split('@')[0] ?? account.email);
}

/** The int32 user id a `/users/{userId}` path accepts (RC-OAS), or undefined for anything else. */
export function parseUserId(id: string | null): number | undefined {
  if (id === null || !/^\d{1,10}$/.test(id)) return undefined;
  const userId = Number(id);
  return userId <= 2_147_483_647 ? userId : undefined;
}

/** The numeric user id of an account, or undefined when it has none usable. */
export function userIdOf(account: TargetAccount): number | undefined {
  return parseUserId(account.id);
}
