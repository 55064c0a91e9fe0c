import { createHash, timingSafeEqual } from 'node:crypto';
import { passwordComplexityProblems } from './password.js';
import { redisEnterpriseManagementRoles, type RedisEnterpriseRole, type RedisEnterpriseUser } from './schemas.js';
import {
  RedisEnterpriseSimError,
  applyWrite,
  blankUser,
  managementsOf,
  validateWrite,
  viewUser,
  type SimUser,
  type SimUserWrite,
} from './simulator-records.js';
import { CaseInsensitiveIndex } from '../simulator-index.js';
import { builtInRoles, parseSeed, type RedisEnterpriseSeedUser } from './simulator-seed.js';

/**
 * The in-memory cluster behind the Redis Enterprise simulator: users, roles, the password
 * complexity setting, and the rules the REST API enforces (the redis.io REST API reference). No HTTP here:
 * simulator.ts does auth, permissions and routes.
 */

/** How the simulated cluster starts. */
export interface RedisEnterpriseSimStateOptions {
  username: string;
  password: string;
  passwordComplexity: boolean;
  passwordMinLength: number;
  /** Whether a second user with a taken email gets in (`allowDuplicateEmails`, simulator-kit.ts). */
  allowsDuplicateEmails?: () => boolean;
}

const digest = (text: string): Buffer => createHash('sha256').update(text).digest();

/** The simulated cluster's users, roles and password settings. */
export class RedisEnterpriseSimState {
  private users = new Map<number, SimUser>();
  // Every call signs in by email: indexes keep that (and the create checks) from scanning every user.
  private readonly uidsByEmail = new CaseInsensitiveIndex<number>();
  private readonly uidsByName = new CaseInsensitiveIndex<number>();
  private roles = new Map<number, RedisEnterpriseRole>();
  private nextUid = 1;
  private nextRoleUid = 7;
  passwordComplexity = false;
  passwordMinLength = 8;

  constructor(private readonly options: RedisEnterpriseSimStateOptions) {
    this.reset();
  }

  /** Back to the built-in roles and one admin, uid 1, shaped like the redisctl fixture (`role_uids: [1]`). */
  reset(): void {
    this.roles = new Map(builtInRoles.map((role) => [role.uid, { ...role }]));
    this.users = new Map();
    this.uidsByEmail.clear();
    this.uidsByName.clear();
    this.nextUid = 1;
    this.nextRoleUid = 7;
    this.passwordComplexity = this.options.passwordComplexity;
    this.passwordMinLength = this.options.passwordMinLength;
    this.insert({ email: this.options.username, password: this.options.password, name: 'Administrator', role_uids: [1] });
  }

  /** The user these Basic credentials sign in, or undefined (passwords compared in constant time). */
  authenticate(email: string, password: string): RedisEnterpriseUser | undefined {
    const user = this.byEmail(email);
    if (!user || user.status !== 'active' || !timingSafeEqual(digest(password), digest(user.password))) return undefined;
    return this.view(user);
  }

  /** Every management role the user holds. */
  managementsOf(uid: number): Set<string> {
    const user = this.users.get(uid);
    return user ? managementsOf(user, this.roles) : new Set();
  }

  listUsers(): RedisEnterpriseUser[] {
    return [...this.users.values()].map((user) => this.view(user));
  }

  getUser(uid: number): RedisEnterpriseUser {
    return this.view(this.record(uid));
  }

  listRoles(): RedisEnterpriseRole[] {
    return [...this.roles.values()].map((role) => ({ ...role }));
  }

  getRole(uid: number): RedisEnterpriseRole {
    const role = this.roles.get(uid);
    if (!role) throw new RedisEnterpriseSimError(404, 'role_not_exist', 'Role does not exist');
    return { ...role };
  }

  /**
   * `POST /v1/roles` `{name, management}`: 200 with the new role; `missing_field`,
   * `name_already_exists`, and `unsupported_resource` for a management role the cluster does not have (redis.io roles requests).
   */
  createRole(body: unknown): RedisEnterpriseRole {
    const { name, management } = (body !== null && typeof body === 'object' ? body : {}) as Record<string, unknown>;
    if (typeof name !== 'string' || name.trim() === '' || typeof management !== 'string') {
      throw new RedisEnterpriseSimError(400, 'missing_field', 'name and management are required');
    }
    if (!(redisEnterpriseManagementRoles as readonly string[]).includes(management)) {
      throw new RedisEnterpriseSimError(400, 'unsupported_resource', `unknown management role ${management.slice(0, 40)}`);
    }
    if ([...this.roles.values()].some((role) => role.name.toLowerCase() === name.trim().toLowerCase())) {
      throw new RedisEnterpriseSimError(409, 'name_already_exists', 'A role with the same name already exists');
    }
    const role: RedisEnterpriseRole = { uid: this.nextRoleUid++, name: name.trim(), management };
    this.roles.set(role.uid, role);
    return { ...role };
  }

  /** `POST /v1/users`: email, password and role (or role_uids) required; with `dryRun` nothing is stored. */
  createUser(body: unknown, dryRun: boolean): RedisEnterpriseUser {
    const write = validateWrite(body, this.roles);
    const { email, password } = write;
    if (email === undefined || password === undefined || (write.role === undefined && write.role_uids === undefined)) {
      throw new RedisEnterpriseSimError(400, 'missing_field', 'email, password and role (or role_uids) are required');
    }
    if (this.byEmail(email) && !this.options.allowsDuplicateEmails?.()) {
      throw new RedisEnterpriseSimError(409, 'email_already_exists', 'User with the same email already exists');
    }
    if (write.name && this.byName(write.name)) throw new RedisEnterpriseSimError(409, 'name_already_exists', 'User with the same name already exists');
    if (this.isComplexityChecked(write, 'regular')) this.checkComplexity(password, email);
    const user = applyWrite(blankUser(this.nextUid, email, password), write);
    if (!dryRun) this.store(user);
    return this.view(user);
  }

  /** `PUT /v1/users/{uid}`: a partial object; refuses to demote the last admin; with `dryRun` nothing is stored. */
  updateUser(uid: number, body: unknown, dryRun: boolean): RedisEnterpriseUser {
    const user = this.record(uid);
    const write = validateWrite(body, this.roles);
    const other = write.email === undefined ? undefined : this.byEmail(write.email);
    if (other && other.uid !== uid) throw new RedisEnterpriseSimError(409, 'email_already_exists', 'The given email is already taken');
    this.checkNewPassword(user, write);
    const next = applyWrite(user, write);
    if (this.isAdmin(user) && !this.isAdmin(next) && this.adminCount() === 1) {
      // PUT lists 406 "requested configuration is invalid" (redis.io users requests): the status is inferred.
      throw new RedisEnterpriseSimError(406, 'change_last_admin_role_not_allowed', 'At least one user with admin role should exist');
    }
    if (!dryRun) this.replace(user, next);
    return this.view(next);
  }

  /** `DELETE /v1/users/{uid}`: 406 for the caller itself and for the last admin (inferred from redis.io users requests). */
  deleteUser(uid: number, callerUid: number): void {
    const user = this.record(uid);
    if (uid === callerUid) throw new RedisEnterpriseSimError(406, 'delete_self_not_allowed', 'The request is not acceptable: a user cannot delete itself');
    if (this.isAdmin(user) && this.adminCount() === 1) {
      throw new RedisEnterpriseSimError(406, 'delete_last_admin_not_allowed', 'The request is not acceptable: at least one user with admin role should exist');
    }
    this.users.delete(uid);
    this.uidsByEmail.remove(user.email, uid);
    this.uidsByName.remove(user.name, uid);
  }

  /** `POST /_sim/seed` (body in simulator-seed.ts): custom roles, then users. */
  seed(body: unknown): { users: RedisEnterpriseUser[]; roles: RedisEnterpriseRole[] } {
    const seed = parseSeed(body);
    const roles = (seed.roles ?? []).map((role) => {
      const uid = role.uid ?? this.nextRoleUid;
      if (this.roles.has(uid)) throw new Error(`role uid ${uid} already exists`);
      this.nextRoleUid = Math.max(this.nextRoleUid, uid + 1);
      const created = { uid, name: role.name, management: role.management };
      this.roles.set(uid, created);
      return { ...created };
    });
    const users = (seed.users ?? []).map((user) => this.view(this.insert(user)));
    return { users, roles };
  }

  /** Everything but passwords, for `GET /_sim/state`. */
  snapshot(): unknown {
    return {
      cluster: { password_complexity: this.passwordComplexity, password_min_length: this.passwordMinLength },
      users: this.listUsers(),
      roles: this.listRoles(),
    };
  }

  private insert(seed: RedisEnterpriseSeedUser): SimUser {
    if (this.byEmail(seed.email)) throw new Error(`a user with the email ${seed.email} already exists`);
    for (const uid of seed.role_uids ?? []) if (!this.roles.has(uid)) throw new Error(`role uid ${uid} does not exist`);
    const uid = seed.uid ?? this.nextUid;
    if (this.users.has(uid)) throw new Error(`user uid ${uid} already exists`);
    const write: SimUserWrite = seed.role_uids ? { name: seed.name, role_uids: seed.role_uids } : { name: seed.name, role: seed.role ?? 'db_viewer' };
    const user = { ...applyWrite(blankUser(uid, seed.email, seed.password ?? 'sandbox'), write), status: seed.status ?? 'active' };
    this.store(user);
    return user;
  }

  // A stored uid is always new (nextUid, or a seed uid checked to be free), so it comes last in
  // `users` as in the indexes: their first id is the first user a scan in insertion order finds.
  private store(user: SimUser): void {
    this.users.set(user.uid, user);
    this.uidsByEmail.add(user.email, user.uid);
    this.uidsByName.add(user.name, user.uid);
    this.nextUid = Math.max(this.nextUid, user.uid + 1);
  }

  // updateUser lets a new email in only when no other user holds it, so the moved uid is alone
  // there and the order above still holds; names are only asked whether they are taken.
  private replace(user: SimUser, next: SimUser): void {
    this.users.set(user.uid, next);
    this.uidsByEmail.move(user.email, next.email, user.uid);
    this.uidsByName.move(user.name, next.name, user.uid);
  }

  private checkNewPassword(user: SimUser, write: SimUserWrite): void {
    if (write.password === undefined) return;
    if (write.password === user.password) {
      throw new RedisEnterpriseSimError(400, 'new_password_same_as_current', 'The given new password is identical to the old password');
    }
    if (this.isComplexityChecked(write, user.authMethod)) this.checkComplexity(write.password, write.email ?? user.email);
  }

  // Pre-hashed passwords cannot be checked, and the rules "are not applied to accounts
  // authenticated by an external identity provider" (redis.io password complexity rules).
  private isComplexityChecked(write: SimUserWrite, authMethod: string): boolean {
    return write.password_hash_method === undefined && (write.auth_method ?? authMethod) !== 'external';
  }

  private checkComplexity(password: string, email: string): void {
    if (password === '') throw new RedisEnterpriseSimError(400, 'invalid_schema', 'password must not be empty');
    if (!this.passwordComplexity) return;
    const problems = passwordComplexityProblems(password, email, this.passwordMinLength);
    if (problems.length > 0) throw new RedisEnterpriseSimError(400, 'password_not_complex', `The given password is not complex enough: it needs ${problems.join(', ')}`);
  }

  private view(user: SimUser): RedisEnterpriseUser {
    return viewUser(user, this.roles);
  }

  private record(uid: number): SimUser {
    const user = this.users.get(uid);
    if (!user) throw new RedisEnterpriseSimError(404, 'user_not_exist', 'User does not exist');
    return user;
  }

  private byEmail(email: string): SimUser | undefined {
    const uid = this.uidsByEmail.first(email);
    return uid === undefined ? undefined : this.users.get(uid);
  }

  private byName(name: string): SimUser | undefined {
    const uid = this.uidsByName.first(name);
    return uid === undefined ? undefined : this.users.get(uid);
  }

  private isAdmin(user: SimUser): boolean {
    return managementsOf(user, this.roles).has('admin');
  }

  private adminCount(): number {
    return [...this.users.values()].filter((user) => this.isAdmin(user)).length;
  }
}
