import { z } from 'zod';

/**
 * Shapes of the Yardstik Account Users and Groups APIs (developer.yardstik.com "Account Users"
 * and "Groups" pages) and of the connection config.
 */

/** A Yardstik id: `string <uuid>` (developer.yardstik.com Account Users); guid() does not insist on RFC version bits a real id may lack. */
export const yardstikIdSchema = z.guid();

/** The `connections.<name>.target` block of a Yardstik connection. */
export const yardstikTargetSchema = z.object({
  url: z.url({ protocol: /^https?$/ }),
  accountId: yardstikIdSchema,
  apiKey: z.string().min(1),
  // The prefix for account keys is a GAP (developer.yardstik.com Accounts): `User <key>` in the official api_token
  // answer, `Account <key>` in a [3p] client. Both are offered; the simulator accepts both.
  authScheme: z.enum(['Account', 'User']).default('Account'),
});
/** A validated Yardstik target config. */
export type YardstikTarget = z.infer<typeof yardstikTargetSchema>;

/** The short user object: the list's `owner` and the `user` inside a membership (developer.yardstik.com Account Users). */
export const yardstikUserSummarySchema = z.object({
  id: z.string(),
  first_name: z.string().nullable(),
  last_name: z.string().nullable(),
  email_address: z.string(),
});
/** A user as embedded in a list or membership. */
export type YardstikUserSummary = z.infer<typeof yardstikUserSummarySchema>;

/** A group membership, the same shape on users and on groups (developer.yardstik.com Account Users and developer.yardstik.com Groups). */
export const yardstikMembershipSchema = z.object({
  id: z.string(),
  group_id: z.string(),
  account_user_id: z.string(),
  created_at: z.string(),
  updated_at: z.string(),
  user: yardstikUserSummarySchema.optional(),
});
/** A group membership. */
export type YardstikMembership = z.infer<typeof yardstikMembershipSchema>;

/** An account user (developer.yardstik.com Account Users response sample). */
export const yardstikAccountUserSchema = yardstikUserSummarySchema.extend({
  group_memberships: z.array(yardstikMembershipSchema).default([]),
});
/** An account user. */
export type YardstikAccountUser = z.infer<typeof yardstikAccountUserSchema>;

/** `GET /accounts/{accountId}/users`: the owner apart, never inside `users`; no paging (developer.yardstik.com Account Users). */
export const yardstikAccountUsersSchema = z.object({
  owner: yardstikUserSummarySchema,
  users: z.array(yardstikAccountUserSchema),
});
/** The account users list. */
export type YardstikAccountUsers = z.infer<typeof yardstikAccountUsersSchema>;

/** A report group (developer.yardstik.com Groups). */
export const yardstikGroupSchema = z.object({
  id: z.string(),
  object: z.literal('group'),
  name: z.string(),
  label: z.string(),
  description: z.string().nullable(),
  enabled: z.boolean(),
  send_notifications_to_members: z.boolean(),
  notification_email_addresses: z.array(z.string()),
  reports_count: z.number().int(),
  created_at: z.string(),
  updated_at: z.string(),
  memberships: z.array(yardstikMembershipSchema).default([]),
});
/** A report group. */
export type YardstikGroup = z.infer<typeof yardstikGroupSchema>;

/** Paging metadata of Yardstik lists (developer.yardstik.com Groups). */
export const yardstikListMetaSchema = z.object({
  page: z.number().int(),
  per_page: z.number().int(),
  total_count: z.number().int(),
  total_pages: z.number().int(),
});
/** Paging metadata. */
export type YardstikListMeta = z.infer<typeof yardstikListMetaSchema>;

/** `GET /groups`: one page of groups. */
export const yardstikGroupListSchema = z.object({
  object: z.literal('list'),
  meta: yardstikListMetaSchema,
  data: z.array(yardstikGroupSchema),
});
/** One page of groups. */
export type YardstikGroupList = z.infer<typeof yardstikGroupListSchema>;

/** One item of an `{"errors": [...]}` body; the item shape is a GAP (the Account Users samples show none), so strings are accepted too. */
export const yardstikErrorItemSchema = z.union([
  z.string(),
  z.object({ field: z.string().optional(), message: z.string().optional() }),
]);
/** One error item. */
export type YardstikErrorItem = z.infer<typeof yardstikErrorItemSchema>;

/** The error body Yardstik answers with (developer.yardstik.com Account Users samples show only `{"errors": [ … ]}`). */
export const yardstikErrorBodySchema = z.object({ errors: z.array(yardstikErrorItemSchema) });
/** An error body. */
export type YardstikErrorBody = z.infer<typeof yardstikErrorBodySchema>;

function railsMessage(issue: { input?: unknown }): string {
  const { input } = issue;
  const isBlank = input === undefined || input === null || (typeof input === 'string' && input.trim() === '');
  return isBlank ? "can't be blank" : 'is invalid';
}

const requiredText = z.string({ error: railsMessage }).refine((value) => value.trim() !== '', { error: "can't be blank" });

/** `POST /accounts/{accountId}/users` body: every field required (developer.yardstik.com Account Users); no role field exists. */
export const yardstikCreateUserRequestSchema = z.object({
  email_address: z.email({ error: railsMessage }),
  first_name: requiredText,
  last_name: requiredText,
});
/** The create-user body. */
export type YardstikCreateUserRequest = z.infer<typeof yardstikCreateUserRequestSchema>;

/** `POST /groups` body (developer.yardstik.com Groups): only `label` is required. */
export const yardstikCreateGroupRequestSchema = z.object({
  label: requiredText,
  name: requiredText.optional(),
  description: z.string().nullable().optional(),
  enabled: z.boolean({ error: 'is invalid' }).default(true),
  notification_email_addresses: z.array(z.email({ error: 'is invalid' })).default([]),
  send_notifications_to_members: z.boolean({ error: 'is invalid' }).default(false),
});
/** The create-group body (defaults applied). */
export type YardstikCreateGroupRequest = z.input<typeof yardstikCreateGroupRequestSchema>;
