import { BridgeError } from '../../errors.js';
import { formatRoleUids, hasRole, parseRoleUids, type NewAccount, type TargetAccount, type TargetProtection } from '../types.js';
import { redisEnterpriseManagementRoles, type RedisEnterpriseUser, type RedisEnterpriseUserWrite } from './schemas.js';

/**
 * Translation between Redis Enterprise users and the bridge's accounts: roles (`role` or
 * `role_uids`), names the cluster accepts, protection flags.
 */

/** A Redis Enterprise user as a {@link TargetAccount}. */
export function toTargetAccount(user: RedisEnterpriseUser, protection?: TargetProtection): TargetAccount {
  return {
    id: String(user.uid),
    email: user.email,
    name: user.name === undefined || user.name === '' ? null : user.name,
    role: user.role ?? null,
    ...(user.role_uids ? { roleAliases: [formatRoleUids(user.role_uids)] } : {}),
    // `status` is read-only, `active` or `locked` (redis.io user object); role `none` is still an active account.
    status: user.status === 'locked' ? 'disabled' : 'active',
    ...(protection ? { protection } : {}),
  };
}

/** The uid of the only user whose `role` is admin, when there is exactly one (the cluster refuses to demote it: `change_last_admin_role_not_allowed`, redis.io users requests). */
export function soleAdminUid(users: readonly RedisEnterpriseUser[]): number | undefined {
  const admins = users.filter((user) => user.role === 'admin');
  return admins.length === 1 ? admins[0]?.uid : undefined;
}

/** The `role` or `role_uids` field that writes a mapping role (`db_viewer`, or `role_uids:[1,4]`). */
export function roleWrite(role: string): Pick<RedisEnterpriseUserWrite, 'role' | 'role_uids'> {
  const uids = parseRoleUids(role);
  if (uids) return { role_uids: [...new Set(uids)] };
  const name = role.trim().toLowerCase();
  const known = redisEnterpriseManagementRoles.find((r) => r === name);
  if (!known) {
    throw new BridgeError('TARGET_REJECTED', `unknown Redis Enterprise role "${role}": use one of ${redisEnterpriseManagementRoles.join(', ')} or role_uids:[...]`, {
      details: { role },
    });
  }
  return { role: known };
}

/** Whether the account already has the role, `role_uids:[4, 1]` matching `role_uids:[1,4]`. */
export function alreadyHasRole(account: TargetAccount, role: string): boolean {
  const uids = parseRoleUids(role);
  return hasRole(account, uids ? formatRoleUids([...new Set(uids)]) : role.trim());
}

/** A name the cluster accepts: ASCII only and none of `& < > "` (redis.io user object); accents are folded, the rest dropped. */
export function clusterName(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^\x20-\x7e]|[&<>"]/g, '')
    .replace(/\s+/g, ' ')
    .trim();
}

/** The display name of a new account, or undefined when there is none. */
export function newAccountName(account: NewAccount): string | undefined {
  const joined = [account.givenName, account.familyName].filter((part) => part !== null && part !== undefined && part !== '').join(' ');
  const name = clusterName(account.name ?? joined);
  return name === '' ? undefined : name;
}
