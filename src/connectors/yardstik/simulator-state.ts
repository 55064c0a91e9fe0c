import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { CaseInsensitiveIndex } from '../simulator-index.js';
import type { YardstikAccountUser, YardstikGroup, YardstikMembership, YardstikUserSummary } from './schemas.js';

/** The in-memory Yardstik account the simulator serves: its owner, users, groups and memberships. */

/** A user as the simulator holds it (`mfaResets` is simulator-only, shown in `/_sim/state`). */
export interface SimYardstikUser extends YardstikUserSummary {
  first_name: string;
  last_name: string;
  mfaResets: number;
}

/** A group as the simulator holds it; `seq` orders groups created in the same millisecond. */
export type SimYardstikGroup = Omit<YardstikGroup, 'memberships'> & { seq: number };

/** Simulator-only body of `POST /_sim/seed`: members are user emails or ids (the owner included). */
export const yardstikSeedSchema = z.object({
  users: z.array(z.object({
    id: z.guid().optional(),
    email_address: z.email(),
    first_name: z.string().min(1).optional(),
    last_name: z.string().min(1).optional(),
  })).default([]),
  groups: z.array(z.object({
    id: z.guid().optional(),
    label: z.string().min(1),
    name: z.string().min(1).optional(),
    description: z.string().nullable().optional(),
    enabled: z.boolean().optional(),
    send_notifications_to_members: z.boolean().optional(),
    notification_email_addresses: z.array(z.email()).optional(),
    reports_count: z.number().int().min(0).optional(),
    members: z.array(z.string()).default([]),
  })).default([]),
  /** Memberships in groups that already exist: `group` is a group id or name, `member` an email or user id. */
  memberships: z.array(z.object({ group: z.string(), member: z.string() })).default([]),
});
/** The seed body. */
export type YardstikSeed = z.input<typeof yardstikSeedSchema>;

type NewGroup = Partial<Omit<SimYardstikGroup, 'seq' | 'object'>> & { label: string };

/** The state of one simulated Yardstik account. */
export class YardstikSimState {
  owner: SimYardstikUser;
  readonly users = new Map<string, SimYardstikUser>();
  groups: SimYardstikGroup[] = [];
  memberships: YardstikMembership[] = [];
  private seq = 0;
  // Every create checks the email: the index keeps that from scanning every user.
  private readonly idsByEmail = new CaseInsensitiveIndex<string>();

  constructor(readonly accountId: string, private readonly ownerTemplate: SimYardstikUser) {
    this.owner = { ...ownerTemplate };
  }

  /** Back to the owner alone. */
  reset(): void {
    this.owner = { ...this.ownerTemplate };
    this.users.clear();
    this.idsByEmail.clear();
    this.groups = [];
    this.memberships = [];
  }

  /** The owner or a user with this email, compared case-insensitively. */
  findByEmail(email: string): SimYardstikUser | undefined {
    const wanted = email.toLowerCase();
    if (this.owner.email_address.toLowerCase() === wanted) return this.owner;
    const id = this.idsByEmail.first(email);
    return id === undefined ? undefined : this.users.get(id);
  }

  /** The owner or a user with this id. */
  findById(id: string): SimYardstikUser | undefined {
    return id === this.owner.id ? this.owner : this.users.get(id);
  }

  addUser(input: { id?: string; email_address: string; first_name: string; last_name: string }): SimYardstikUser {
    const user: SimYardstikUser = { id: input.id ?? randomUUID(), email_address: input.email_address, first_name: input.first_name, last_name: input.last_name, mfaResets: 0 };
    // A seed may give the id of a user it then replaces (in place, with an email no one holds).
    const replaced = this.users.get(user.id);
    if (replaced) this.idsByEmail.remove(replaced.email_address, replaced.id);
    this.users.set(user.id, user);
    this.idsByEmail.add(user.email_address, user.id);
    return user;
  }

  removeUser(id: string): SimYardstikUser | undefined {
    const user = this.users.get(id);
    this.users.delete(id);
    if (user) this.idsByEmail.remove(user.email_address, id);
    this.memberships = this.memberships.filter((m) => m.account_user_id !== id);
    return user;
  }

  isGroupNameTaken(name: string): boolean {
    return this.groups.some((group) => group.name.toLowerCase() === name.toLowerCase());
  }

  addGroup(input: NewGroup): SimYardstikGroup {
    const now = new Date().toISOString();
    const group: SimYardstikGroup = {
      id: input.id ?? randomUUID(),
      object: 'group',
      name: input.name ?? this.uniqueName(input.label),
      label: input.label,
      description: input.description ?? null,
      enabled: input.enabled ?? true,
      send_notifications_to_members: input.send_notifications_to_members ?? false,
      notification_email_addresses: input.notification_email_addresses ?? [],
      reports_count: input.reports_count ?? 0,
      created_at: now,
      updated_at: now,
      seq: ++this.seq,
    };
    this.groups.push(group);
    return group;
  }

  addMembership(group: SimYardstikGroup, user: SimYardstikUser): YardstikMembership {
    const existing = this.memberships.find((m) => m.group_id === group.id && m.account_user_id === user.id);
    if (existing) return existing;
    const now = new Date().toISOString();
    const membership = { id: randomUUID(), group_id: group.id, account_user_id: user.id, created_at: now, updated_at: now };
    this.memberships.push(membership);
    return membership;
  }

  /** The AccountUser body (developer.yardstik.com Account Users), memberships with their `user` embedded. */
  userJson(user: SimYardstikUser): YardstikAccountUser {
    return { ...summary(user), group_memberships: this.memberships.filter((m) => m.account_user_id === user.id).map((m) => this.membershipJson(m)) };
  }

  /** The Group body (developer.yardstik.com Groups). */
  groupJson(group: SimYardstikGroup): YardstikGroup {
    const { seq: _seq, ...rest } = group;
    return { ...rest, memberships: this.memberships.filter((m) => m.group_id === group.id).map((m) => this.membershipJson(m)) };
  }

  /** Adds users, groups and memberships from a `/_sim/seed` body; throws on anything inconsistent. */
  seed(body: unknown): { users: YardstikAccountUser[]; groups: YardstikGroup[] } {
    const seed = yardstikSeedSchema.parse(body ?? {});
    const users = seed.users.map((input) => {
      if (this.findByEmail(input.email_address)) throw new Error(`email ${input.email_address} already exists`);
      const localPart = input.email_address.split('@')[0] ?? 'seeded';
      return this.addUser({ ...input, first_name: input.first_name ?? localPart, last_name: input.last_name ?? 'User' });
    });
    const groups = seed.groups.map(({ members, ...input }) => {
      if (input.name !== undefined && this.isGroupNameTaken(input.name)) throw new Error(`group name ${input.name} already exists`);
      const group = this.addGroup(input);
      for (const member of members) this.addMembership(group, this.memberRef(member));
      return group;
    });
    for (const { group, member } of seed.memberships) this.addMembership(this.groupRef(group), this.memberRef(member));
    return { users: users.map((u) => this.userJson(u)), groups: groups.map((g) => this.groupJson(g)) };
  }

  /** Everything, for `GET /_sim/state`. */
  snapshot(): unknown {
    return {
      accountId: this.accountId,
      owner: { ...this.userJson(this.owner), mfaResets: this.owner.mfaResets },
      users: [...this.users.values()].map((user) => ({ ...this.userJson(user), mfaResets: user.mfaResets })),
      groups: this.groups.map((group) => this.groupJson(group)),
    };
  }

  private membershipJson(membership: YardstikMembership): YardstikMembership {
    const user = this.findById(membership.account_user_id);
    return { ...membership, ...(user ? { user: summary(user) } : {}) };
  }

  private memberRef(ref: string): SimYardstikUser {
    const user = this.findById(ref) ?? this.findByEmail(ref);
    if (!user) throw new Error(`no user ${ref}`);
    return user;
  }

  private groupRef(ref: string): SimYardstikGroup {
    const group = this.groups.find((g) => g.id === ref || g.name === ref);
    if (!group) throw new Error(`no group ${ref}`);
    return group;
  }

  // `name` is "auto-generated from label if omitted" (developer.yardstik.com Groups); the exact rule is a GAP.
  private uniqueName(label: string): string {
    const base = label.toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_+|_+$/g, '') || 'group';
    let name = base;
    for (let n = 2; this.isGroupNameTaken(name); n++) name = `${base}_${n}`;
    return name;
  }
}

function summary(user: SimYardstikUser): YardstikUserSummary {
  return { id: user.id, first_name: user.first_name, last_name: user.last_name, email_address: user.email_address };
}
