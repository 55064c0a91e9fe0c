import {
  redisEnterpriseManagementRoles,
  redisEnterpriseUserWriteSchema,
  type RedisEnterpriseManagementRole,
  type RedisEnterpriseRole,
  type RedisEnterpriseUser,
  type RedisEnterpriseUserWrite,
} from './schemas.js';

/**
 * The user records of the Redis Enterprise simulator: how a write is validated and applied, and
 * how a record looks on the wire (redis.io user object and users requests, the redisctl fixture).
 */

/** An error the simulator answers as `{error_code, message}` with this status. */
export class RedisEnterpriseSimError extends Error {
  constructor(
    readonly status: number,
    readonly errorCode: string,
    message: string,
  ) {
    super(message);
  }
}

/** A user as the simulator stores it (the password never leaves). */
export interface SimUser {
  uid: number;
  email: string;
  name: string;
  role: RedisEnterpriseManagementRole;
  roleUids: number[] | null;
  password: string;
  passwordIssueDate: string;
  emailAlerts: boolean;
  bdbsEmailAlerts: string[] | undefined;
  clusterEmailAlerts: boolean | undefined;
  authMethod: string;
  certificateSubjectLine: string;
  status: 'active' | 'locked';
}

/** A write that passed validation: `role`, when present, is a management role. */
export type SimUserWrite = Omit<RedisEnterpriseUserWrite, 'role'> & { role?: RedisEnterpriseManagementRole | undefined };

/** Role uid to role. */
export type SimRoles = ReadonlyMap<number, RedisEnterpriseRole>;

const invalid = (message: string): RedisEnterpriseSimError => new RedisEnterpriseSimError(400, 'invalid_schema', message);

/** `2017-03-02T09:43:34Z`, the docs' format (no milliseconds). */
export function issueDate(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** A fresh record with the documented defaults (`db_viewer`, alerts on, `regular` auth). */
export function blankUser(uid: number, email: string, password: string): SimUser {
  return {
    uid,
    email,
    name: '',
    role: 'db_viewer',
    roleUids: null,
    password,
    passwordIssueDate: issueDate(),
    emailAlerts: true,
    bdbsEmailAlerts: undefined,
    clusterEmailAlerts: undefined,
    authMethod: 'regular',
    certificateSubjectLine: '',
    status: 'active',
  };
}

/** Checks a POST or PUT body: known fields only, ASCII email and name, a known role or role uids. */
export function validateWrite(body: unknown, roles: SimRoles): SimUserWrite {
  const parsed = redisEnterpriseUserWriteSchema.safeParse(body ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw invalid(`${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'invalid'}`);
  }
  const write = parsed.data;
  if (write.email !== undefined && !/^[\x21-\x3f\x41-\x7e]+@[\x21-\x3f\x41-\x7e]+$/.test(write.email)) throw invalid('email must be an ASCII email address');
  if (write.name !== undefined && /[^\x20-\x7e]|[&<>"]/.test(write.name)) throw invalid('name must be ASCII, without & < > or "');
  if (write.role !== undefined && write.role_uids !== undefined) throw invalid('give role or role_uids, not both');
  const role = write.role === undefined ? undefined : redisEnterpriseManagementRoles.find((r) => r === write.role);
  if (write.role !== undefined && role === undefined) throw invalid(`role must be one of ${redisEnterpriseManagementRoles.join(', ')}`);
  for (const uid of write.role_uids ?? []) if (!roles.has(uid)) throw invalid(`role uid ${uid} does not exist`);
  return { ...write, role };
}

/** The record after a (validated) write; the input is not changed. */
export function applyWrite(user: SimUser, write: SimUserWrite): SimUser {
  const next: SimUser = { ...user };
  if (write.email !== undefined) next.email = write.email;
  if (write.name !== undefined) next.name = write.name;
  if (write.password !== undefined && write.password !== user.password) {
    next.password = write.password;
    next.passwordIssueDate = issueDate();
  }
  // Writing `role` drops `role_uids`, and the reverse (redis.io users requests shows one or the other being sent).
  if (write.role !== undefined) [next.role, next.roleUids] = [write.role, null];
  if (write.role_uids !== undefined) next.roleUids = [...new Set(write.role_uids)];
  if (write.email_alerts !== undefined) next.emailAlerts = write.email_alerts;
  if (write.bdbs_email_alerts !== undefined) next.bdbsEmailAlerts = write.bdbs_email_alerts;
  if (write.cluster_email_alerts !== undefined) next.clusterEmailAlerts = write.cluster_email_alerts;
  if (write.auth_method !== undefined) next.authMethod = write.auth_method;
  if (write.certificate_subject_line !== undefined) next.certificateSubjectLine = write.certificate_subject_line;
  return next;
}

/** Every management role a record holds: its `role`, or those of all its `role_uids`. */
export function managementsOf(user: SimUser, roles: SimRoles): Set<string> {
  if (user.roleUids === null) return new Set([user.role]);
  return new Set(user.roleUids.map((uid) => roles.get(uid)?.management ?? 'none'));
}

/** A record on the wire, shaped like the redisctl fixture (`role_uids` only when the user has them). */
export function viewUser(user: SimUser, roles: SimRoles): RedisEnterpriseUser {
  // With role_uids, `role` shows the first role's management (the brief); the users-requests page's examples
  // (role_uids [3,4] shown as db_viewer) match no rule, so they are not followed.
  const role = user.roleUids === null ? user.role : (roles.get(user.roleUids[0] ?? 0)?.management ?? 'none');
  return {
    uid: user.uid,
    email: user.email,
    name: user.name,
    role,
    ...(user.roleUids === null ? {} : { role_uids: [...user.roleUids] }),
    auth_method: user.authMethod,
    certificate_subject_line: user.certificateSubjectLine,
    email_alerts: user.emailAlerts,
    ...(user.bdbsEmailAlerts === undefined ? {} : { bdbs_email_alerts: [...user.bdbsEmailAlerts] }),
    ...(user.clusterEmailAlerts === undefined ? {} : { cluster_email_alerts: user.clusterEmailAlerts }),
    password_issue_date: user.passwordIssueDate,
    status: user.status,
  };
}
