import { z } from 'zod';
import { CaseInsensitiveIndex } from '../simulator-index.js';
import { canonicalRedisCloudRole, type RedisCloudRole } from './schemas.js';
import type { SimTaskOutcome } from './simulator-tasks.js';

/** An account user exactly as RC-OAS `AccountUser` spells it. */
export interface SimUser {
  id: number;
  name: string;
  email: string;
  role: RedisCloudRole;
  /** When the user verified, as an ISO date-time; `""` while an invitation is pending (our choice: RC-OAS is silent). */
  signUp: string;
  userType: string;
  hasApiKey: boolean;
  options: { billing: boolean; emailAlerts: boolean; operationalEmails: boolean; mfaEnabled: boolean };
}

/** The simulated account: its users, who holds the API key, and invitations still queued. */
export interface SimAccountState {
  accountId: number;
  accountName: string;
  createdAt: string;
  keyUserId: number;
  nextUserId: number;
  users: Map<number, SimUser>;
  /** User ids by email, in the order added (ids only grow), so lookups find what a scan of `users` would. */
  userIdsByEmail: CaseInsensitiveIndex<number>;
  /** Lowercased emails of invitations queued but not yet processed (a second one answers 409). */
  queuedInvites: Set<string>;
}

/** The API key's own user, as configured. */
export interface SimKeyUserOptions {
  name?: string;
  email?: string;
  role?: RedisCloudRole;
}

/** A fresh account holding only the API key's user (an Owner by default). */
export function createSimAccountState(keyUser: SimKeyUserOptions = {}): SimAccountState {
  const state: SimAccountState = { accountId: 1001, accountName: 'Sandbox Account', createdAt: new Date().toISOString(), keyUserId: 0, nextUserId: 60192, users: new Map(), userIdsByEmail: new CaseInsensitiveIndex(), queuedInvites: new Set() };
  const owner = addSimUser(state, {
    name: keyUser.name ?? 'Sandbox Owner',
    email: keyUser.email ?? 'owner@sandbox.local',
    role: keyUser.role ?? 'Owner',
    isVerified: true,
    hasApiKey: true,
  });
  state.keyUserId = owner.id;
  return state;
}

/** Adds a user with the next int32 id. */
export function addSimUser(
  state: SimAccountState,
  user: { name: string; email: string; role: RedisCloudRole; isVerified: boolean; hasApiKey?: boolean },
): SimUser {
  const created: SimUser = {
    id: state.nextUserId++,
    name: user.name,
    email: user.email,
    role: user.role,
    signUp: user.isVerified ? new Date().toISOString() : '',
    userType: 'Local',
    hasApiKey: user.hasApiKey ?? false,
    options: { billing: user.role === 'Owner', emailAlerts: false, operationalEmails: false, mfaEnabled: false },
  };
  state.users.set(created.id, created);
  state.userIdsByEmail.add(created.email, created.id);
  return created;
}

/** The user with this email, compared case-insensitively. */
export function findSimUserByEmail(state: SimAccountState, email: string): SimUser | undefined {
  const id = state.userIdsByEmail.first(email);
  return id === undefined ? undefined : state.users.get(id);
}

const fail = (error: string, additionalInfo: string): SimTaskOutcome => ({ error, additionalInfo });

// The API key's user must be an Owner to change users (Redis Cloud's access-management docs).
function ownerCheck(state: SimAccountState, errorCode: string): SimTaskOutcome | undefined {
  const key = state.users.get(state.keyUserId);
  return key?.role === 'Owner' ? undefined : fail(errorCode, "The API key's user is not an account Owner");
}

/** Runs a seed-000 invitation: the user appears unverified; `allowsDuplicate` lets a taken email in. */
export function runInvite(state: SimAccountState, invite: { name: string; email: string; role: RedisCloudRole }, allowsDuplicate = false): SimTaskOutcome {
  state.queuedInvites.delete(invite.email.toLowerCase());
  const denied = ownerCheck(state, 'USER_WITHOUT_OWNER_PERMISSION_CANNOT_UPDATE_USERS');
  if (denied) return denied;
  if (findSimUserByEmail(state, invite.email) && !allowsDuplicate) return fail('CONFLICT_ERROR', 'User with this email already exists');
  return { resourceId: addSimUser(state, { ...invite, isVerified: false }).id };
}

/**
 * Runs `PUT /users/{id}`: the checks in the order the error codes suggest, then the change.
 * "At least one Owner" (access-management.md) needs no check of its own: only an Owner's key may
 * change users and it can neither demote nor delete itself, so an Owner always remains.
 */
export function runUpdate(state: SimAccountState, userId: number, change: { name: string; role?: RedisCloudRole }): SimTaskOutcome {
  const denied = ownerCheck(state, 'USER_WITHOUT_OWNER_PERMISSION_CANNOT_UPDATE_USERS');
  if (denied) return denied;
  const user = state.users.get(userId);
  if (!user) return fail('USER_NOT_FOUND', `User ${userId} was not found`);
  if (change.name.trim() === '') return fail('USER_NAME_IS_INVALID', 'The user name must not be blank');
  const isRoleChange = change.role !== undefined && change.role !== user.role;
  if (isRoleChange && user.id === state.keyUserId) return fail('USER_CANNOT_UPDATE_IT_IS_OWN_ROLE', 'A user cannot change their own role');
  if (user.signUp === '') return fail('USER_CANNOT_BE_UPDATED_OR_DELETED_BEFORE_VERIFICATION', 'The user has not verified their email yet');
  user.name = change.name;
  if (change.role !== undefined) user.role = change.role;
  return { resourceId: user.id };
}

/** Runs `DELETE /users/{id}`. */
export function runDelete(state: SimAccountState, userId: number): SimTaskOutcome {
  const denied = ownerCheck(state, 'USER_WITHOUT_OWNER_PERMISSION_CANNOT_PERFORM_ACTIONS_ON_USERS');
  if (denied) return denied;
  const user = state.users.get(userId);
  if (!user) return fail('USER_NOT_FOUND', `User ${userId} was not found`);
  if (user.id === state.keyUserId) return fail('USER_CANNOT_DELETE_OWN_USER', 'A user cannot delete their own user');
  if (user.signUp === '') return fail('USER_CANNOT_BE_UPDATED_OR_DELETED_BEFORE_VERIFICATION', 'The user has not verified their email yet');
  state.users.delete(userId);
  state.userIdsByEmail.remove(user.email, userId);
  return { resourceId: userId };
}

/** Verifies the invited users with this email (`/_sim/accept`, auto-accept); a user already verified stays as is. */
export function acceptSimInvitation(state: SimAccountState, email: string): SimUser {
  const matching = state.userIdsByEmail.all(email).flatMap((id) => state.users.get(id) ?? []);
  const [user] = matching;
  if (!user) throw new Error(`no user with email ${email}`);
  // Several only with allowDuplicateEmails on: every pending one is accepted.
  for (const pending of matching) if (pending.signUp === '') pending.signUp = new Date().toISOString();
  return user;
}

const roleField = z.string().transform((role, ctx) => {
  const canonical = canonicalRedisCloudRole(role);
  if (canonical) return canonical;
  ctx.addIssue({ code: 'custom', message: `unknown role ${role}` });
  return z.NEVER;
});

/** The body of `POST /_sim/seed`. */
export const simSeedSchema = z.object({
  users: z.array(
    z.object({
      email: z.string().min(3),
      name: z.string().optional(),
      role: roleField.optional(),
      verified: z.boolean().optional(),
      hasApiKey: z.boolean().optional(),
    }),
  ),
});

/** Adds seeded users (verified Viewers unless told otherwise); a duplicate email is refused. */
export function seedSimUsers(state: SimAccountState, body: unknown): { users: SimUser[] } {
  const parsed = simSeedSchema.safeParse(body);
  if (!parsed.success) throw new Error(`expected {users:[{email, name?, role?, verified?, hasApiKey?}]}: ${parsed.error.issues[0]?.message ?? ''}`);
  const emails = parsed.data.users.map((seed) => seed.email.toLowerCase());
  const taken = emails.find((email, i) => emails.indexOf(email) !== i || findSimUserByEmail(state, email));
  if (taken !== undefined) throw new Error(`a user with email ${taken} exists`);
  const users = parsed.data.users.map((seed) =>
    addSimUser(state, {
      name: seed.name ?? seed.email.split('@')[0] ?? seed.email,
      email: seed.email,
      role: seed.role ?? 'Viewer',
      isVerified: seed.verified ?? true,
      hasApiKey: seed.hasApiKey ?? false,
    }),
  );
  return { users };
}
