import { randomBytes } from 'node:crypto';
import { GraphQLError } from 'graphql';
import { z } from 'zod';
import { CaseInsensitiveIndex } from '../simulator-index.js';
import { paradimeErrorCodes } from './errors.js';
import {
  paradimeAccountTypes,
  paradimeInviteStatuses,
  type ParadimeAccountType,
  type ParadimeActiveUser,
  type ParadimeInvitedUser,
  type ParadimeInviteStatus,
  type ParadimeWorkspace,
} from './schemas.js';

/**
 * The in-memory workspace behind the Paradime simulator: signed-up users (active or disabled)
 * and invitations, with the rules of Paradime's User Management API docs and the simulator's own choices for the GAPs.
 */

interface SimUser {
  uid: string;
  email: string;
  name: string | null;
  accountType: ParadimeAccountType;
  isDisabled: boolean;
}

interface SimInvite {
  email: string;
  accountType: ParadimeAccountType;
  inviteStatus: ParadimeInviteStatus;
}

/** The `/_sim/seed` body: users to add, active (the default), invited or disabled. */
export const paradimeSeedSchema = z.object({
  users: z.array(
    z.object({
      email: z.email(),
      name: z.string().nullable().optional(),
      accountType: z.enum(paradimeAccountTypes).default('DEVELOPER'),
      status: z.enum(['active', 'invited', 'disabled']).default('active'),
      inviteStatus: z.enum(paradimeInviteStatuses).default('SENT'),
      uid: z.string().regex(/^[0-9a-f]{64}$/).optional(),
    }),
  ),
});

/** The email of the ADMIN every fresh simulator holds. */
export const paradimeSandboxAdminEmail = 'admin@sandbox.local';

/** Uids are 64 hex characters (Paradime's User Management API docs examples). */
export function paradimeUid(): string {
  return randomBytes(32).toString('hex');
}

const emailPattern = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

function fail(message: string, code: string): never {
  throw new GraphQLError(message, { extensions: { code } });
}

/** A name for someone who signs up from an invitation, which carries none: `ada.lovelace@x` gives `Ada Lovelace`. */
function nameFromEmail(email: string): string {
  const local = email.split('@')[0] ?? email;
  return local.split(/[._-]+/).filter((part) => part !== '').map((part) => part.charAt(0).toUpperCase() + part.slice(1)).join(' ');
}

/** The simulator's state and the rules of each operation. */
export function createParadimeSimState(options: { workspace: ParadimeWorkspace; autoAcceptSeconds?: number | undefined; allowsDuplicateEmails?: () => boolean }) {
  const users = new Map<string, SimUser>();
  const invites = new Map<string, SimInvite>();
  const timers = new Set<NodeJS.Timeout>();

  // Every invitation checks the email: the index keeps that from scanning every user. Users are
  // never removed, so an email's first uid is the first a scan of `users` would find.
  const uidsByEmail = new CaseInsensitiveIndex<string>();
  const userByEmail = (email: string): SimUser | undefined => {
    const uid = uidsByEmail.first(email);
    return uid === undefined ? undefined : users.get(uid);
  };
  const activeAdmins = (): number => [...users.values()].filter((u) => !u.isDisabled && u.accountType === 'ADMIN').length;

  function addUser(email: string, name: string | null, accountType: ParadimeAccountType, uid = paradimeUid()): SimUser {
    const user: SimUser = { uid, email, name, accountType, isDisabled: false };
    // One seed may give a uid twice: the second replaces the first in place, with an email no one holds.
    const replaced = users.get(uid);
    if (replaced) uidsByEmail.remove(replaced.email, uid);
    users.set(uid, user);
    uidsByEmail.add(email, uid);
    return user;
  }

  function reset(): void {
    clearTimers();
    users.clear();
    uidsByEmail.clear();
    invites.clear();
    addUser(paradimeSandboxAdminEmail, 'Sandbox Admin', 'ADMIN');
  }

  function clearTimers(): void {
    for (const timer of timers) clearTimeout(timer);
    timers.clear();
  }

  function scheduleAccept(email: string): void {
    if (options.autoAcceptSeconds === undefined) return;
    const timer = setTimeout(() => {
      timers.delete(timer);
      if (invites.has(email.toLowerCase())) accept(email);
    }, options.autoAcceptSeconds * 1000);
    timer.unref();
    timers.add(timer);
  }

  function accept(email: string): ParadimeActiveUser {
    const invite = invites.get(email.toLowerCase());
    if (!invite) throw new Error(`no pending invitation for ${email}`);
    if (invite.inviteStatus === 'EXPIRED') throw new Error(`the invitation for ${email} has expired`);
    invites.delete(email.toLowerCase());
    const { uid, name, accountType } = addUser(invite.email, nameFromEmail(invite.email), invite.accountType);
    return { uid, email: invite.email, name, accountType };
  }

  function inviteUser(email: string, accountType: ParadimeAccountType): { ok: true } {
    if (!emailPattern.test(email)) fail(`${email} is not a valid email address`, paradimeErrorCodes.invalidEmail);
    const existing = userByEmail(email);
    if (existing?.isDisabled) {
      fail(`User ${email} is disabled in this workspace and must be re-enabled in the Paradime UI`, paradimeErrorCodes.disabled);
    }
    // With allowDuplicateEmails the invitation is (re)sent whatever exists: accepting it adds a second user with the email.
    const isDuplicateAllowed = options.allowsDuplicateEmails?.() === true;
    if (existing && !isDuplicateAllowed) fail(`User ${email} already exists in this workspace`, paradimeErrorCodes.alreadyExists);
    if (invites.has(email.toLowerCase()) && !isDuplicateAllowed) fail(`User ${email} has already been invited to this workspace`, paradimeErrorCodes.alreadyInvited);
    invites.set(email.toLowerCase(), { email, accountType, inviteStatus: 'SENT' });
    scheduleAccept(email);
    return { ok: true };
  }

  function signedUpUser(uid: string): SimUser {
    const user = users.get(uid);
    // Invitations have no uid, so an invited person is "not found" here too (Paradime's User Management API docs: "a current signed up user").
    if (!user) fail(`No signed up user with uid ${uid} in this workspace`, paradimeErrorCodes.notFound);
    return user;
  }

  function guardLastAdmin(user: SimUser): void {
    // Paradime's protections are a GAP: the simulator keeps at least one active ADMIN.
    if (user.accountType === 'ADMIN' && activeAdmins() <= 1) {
      fail('Cannot disable or demote the last ADMIN of the workspace', paradimeErrorCodes.lastAdmin);
    }
  }

  function updateUserAccountType(uid: string, accountType: ParadimeAccountType): { ok: true } {
    const user = signedUpUser(uid);
    if (user.isDisabled) fail(`User ${user.email} is disabled and must be re-enabled in the Paradime UI`, paradimeErrorCodes.disabled);
    if (accountType !== 'ADMIN') guardLastAdmin(user);
    user.accountType = accountType;
    return { ok: true };
  }

  function disableUser(uid: string): { ok: true } {
    const user = signedUpUser(uid);
    if (user.isDisabled) return { ok: true };
    guardLastAdmin(user);
    user.isDisabled = true;
    return { ok: true };
  }

  /** The UI's "Enable user" on the Disabled tab (docs manage-users page); the API has no such operation. */
  function enable(email: string): ParadimeActiveUser {
    const user = userByEmail(email);
    if (!user?.isDisabled) throw new Error(`no disabled user ${email}`);
    user.isDisabled = false;
    return { uid: user.uid, email: user.email, name: user.name, accountType: user.accountType };
  }

  function listUsers(): { ok: true; activeUsers: ParadimeActiveUser[]; invitedUsers: ParadimeInvitedUser[] } {
    const activeUsers = [...users.values()]
      .filter((u) => !u.isDisabled)
      .map(({ uid, email, name, accountType }) => ({ uid, email, name, accountType }));
    return { ok: true, activeUsers, invitedUsers: [...invites.values()].map((invite) => ({ ...invite })) };
  }

  function seed(body: unknown): { users: unknown[] } {
    const parsed = paradimeSeedSchema.parse(body);
    const taken = (u: (typeof parsed.users)[number]): boolean =>
      userByEmail(u.email) !== undefined || invites.has(u.email.toLowerCase()) || (u.uid !== undefined && users.has(u.uid));
    const duplicate = parsed.users.find((u, i) => taken(u) || parsed.users.findIndex((o) => o.email.toLowerCase() === u.email.toLowerCase()) !== i);
    if (duplicate) throw new Error(`${duplicate.email} (or its uid) is already in the workspace`);
    const created = parsed.users.map((u) => {
      if (u.status === 'invited') {
        const invite = { email: u.email, accountType: u.accountType, inviteStatus: u.inviteStatus };
        invites.set(u.email.toLowerCase(), invite);
        return { ...invite, status: 'invited' };
      }
      const user = addUser(u.email, u.name === undefined ? nameFromEmail(u.email) : u.name, u.accountType, u.uid);
      user.isDisabled = u.status === 'disabled';
      return { ...user, status: u.status };
    });
    return { users: created };
  }

  function snapshot() {
    const all = [...users.values()];
    return {
      workspace: options.workspace,
      activeUsers: all.filter((u) => !u.isDisabled),
      disabledUsers: all.filter((u) => u.isDisabled),
      invitedUsers: [...invites.values()],
    };
  }

  reset();
  return {
    listUsers,
    listWorkspaces: () => ({ ok: true, workspaces: [options.workspace] }),
    inviteUser,
    updateUserAccountType,
    disableUser,
    accept,
    enable,
    seed,
    snapshot,
    reset,
    close: clearTimers,
  };
}

/** The simulator's state, as built by {@link createParadimeSimState}. */
export type ParadimeSimState = ReturnType<typeof createParadimeSimState>;
