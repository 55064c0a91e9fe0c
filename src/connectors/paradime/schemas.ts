import { z } from 'zod';

/**
 * Paradime's GraphQL user-management shapes (Paradime's User Management API docs; SDK
 * `paradime/apis/users/types.py`) and the schema of a paradime connection's `target` block.
 */

/** Every `UserAccountType` (SDK `types.py`; the older docs page lists only ADMIN, DEVELOPER, BUSINESS). */
export const paradimeAccountTypes = [
  'ADMIN',
  'DEVELOPER',
  'BUSINESS',
  'BILLING_ADMIN',
  'SECURITY_ADMIN',
  'WORKSPACE_SETTINGS_ADMIN',
  'WORKSPACE_ADMIN',
  'ANALYST',
  'SANDBOX_USER',
] as const;

/** A Paradime account type (the connector's role vocabulary). */
export type ParadimeAccountType = (typeof paradimeAccountTypes)[number];

/** Invitation states: the SDK says SENT/EXPIRED, the docs example shows ACTIVE/EXPIRED; all three are accepted (docs/simulators/paradime.md). */
export const paradimeInviteStatuses = ['SENT', 'EXPIRED', 'ACTIVE'] as const;

/** A Paradime invitation state. */
export type ParadimeInviteStatus = (typeof paradimeInviteStatuses)[number];

// Read as plain strings: a type or status newer than the SDK must not make the whole list unreadable.
/** A signed-up user from `listUsers.activeUsers` (uid: 64 hex characters). */
export const paradimeActiveUserSchema = z.object({
  uid: z.string().min(1),
  email: z.string(),
  name: z.string().nullable(),
  accountType: z.string(),
});
export type ParadimeActiveUser = z.infer<typeof paradimeActiveUserSchema>;

/** An invitation from `listUsers.invitedUsers`: no uid until the person signs up. */
export const paradimeInvitedUserSchema = z.object({
  email: z.string(),
  accountType: z.string(),
  inviteStatus: z.string().nullable(),
});
export type ParadimeInvitedUser = z.infer<typeof paradimeInvitedUserSchema>;

/** The `listUsers` result. */
export const paradimeListUsersResultSchema = z.object({
  ok: z.boolean(),
  activeUsers: z.array(paradimeActiveUserSchema).nullable(),
  invitedUsers: z.array(paradimeInvitedUserSchema).nullable(),
});
export type ParadimeListUsersResult = z.infer<typeof paradimeListUsersResultSchema>;

/** A workspace from `listWorkspaces`. */
export const paradimeWorkspaceSchema = z.object({ name: z.string(), uid: z.string() });
export type ParadimeWorkspace = z.infer<typeof paradimeWorkspaceSchema>;

/** The `listWorkspaces` result. */
export const paradimeListWorkspacesResultSchema = z.object({
  ok: z.boolean(),
  workspaces: z.array(paradimeWorkspaceSchema).nullable(),
});
export type ParadimeListWorkspacesResult = z.infer<typeof paradimeListWorkspacesResultSchema>;

/** The `{ ok }` result of every mutation. */
export const paradimeOkResultSchema = z.object({ ok: z.boolean() });
export type ParadimeOkResult = z.infer<typeof paradimeOkResultSchema>;

/** One GraphQL error; `extensions.code` is the simulator's (Paradime documents no codes). */
export const paradimeGraphqlErrorSchema = z.object({
  message: z.string(),
  extensions: z.object({ code: z.string().optional() }).loose().optional(),
});
export type ParadimeGraphqlError = z.infer<typeof paradimeGraphqlErrorSchema>;

/** The GraphQL response envelope around one operation's `data`. */
export function paradimeResponseSchema<Data extends z.ZodType>(data: Data) {
  return z.object({
    data: data.nullable().optional(),
    errors: z.array(paradimeGraphqlErrorSchema).optional(),
  });
}

/** Body of `listUsers`. */
export const paradimeListUsersResponseSchema = paradimeResponseSchema(
  z.object({ listUsers: paradimeListUsersResultSchema.nullable() }),
);
/** Body of `listWorkspaces`. */
export const paradimeListWorkspacesResponseSchema = paradimeResponseSchema(
  z.object({ listWorkspaces: paradimeListWorkspacesResultSchema.nullable() }),
);
/** Body of `inviteUser`. */
export const paradimeInviteUserResponseSchema = paradimeResponseSchema(z.object({ inviteUser: paradimeOkResultSchema.nullable() }));
/** Body of `updateUserAccountType`. */
export const paradimeUpdateUserAccountTypeResponseSchema = paradimeResponseSchema(
  z.object({ updateUserAccountType: paradimeOkResultSchema.nullable() }),
);
/** Body of `disableUser`. */
export const paradimeDisableUserResponseSchema = paradimeResponseSchema(z.object({ disableUser: paradimeOkResultSchema.nullable() }));

/** Exact messages of the credential checks, shared with tests and docs. */
export const paradimeCredentialMessages = {
  missing: 'set either apiKey and apiSecret, or bearerToken',
  both: 'set either apiKey and apiSecret, or bearerToken, not both',
  secretWithoutKey: 'apiKey is required with apiSecret',
  keyWithoutSecret: 'apiSecret is required with apiKey',
  companyWithoutWorkspace: 'workspaceUid is required with a company token (prdm_cmp_...)',
} as const;

/** `connections.<name>.target` of a paradime connection: the workspace's GraphQL endpoint plus one credential form. */
export const paradimeTargetSchema = z
  .object({
    /** The endpoint shown when generating API keys: `https://api.paradime.io/api/v1/<token>/graphql`. */
    url: z.url({ protocol: /^https?$/ }),
    apiKey: z.string().min(1).optional(),
    apiSecret: z.string().min(1).optional(),
    /** `prdm_wsp_...` (workspace) or `prdm_cmp_...` (company, needs workspaceUid): SDK `api_client.py`. */
    bearerToken: z.string().min(1).optional(),
    workspaceUid: z.string().min(1).optional(),
  })
  .superRefine((target, ctx) => {
    const hasKeyPair = target.apiKey !== undefined || target.apiSecret !== undefined;
    const issue = (message: string, path: string[] = []): void => void ctx.addIssue({ code: 'custom', message, path });
    if (!hasKeyPair && target.bearerToken === undefined) issue(paradimeCredentialMessages.missing);
    if (hasKeyPair && target.bearerToken !== undefined) issue(paradimeCredentialMessages.both);
    if (target.apiKey !== undefined && target.apiSecret === undefined) issue(paradimeCredentialMessages.keyWithoutSecret, ['apiSecret']);
    if (target.apiSecret !== undefined && target.apiKey === undefined) issue(paradimeCredentialMessages.secretWithoutKey, ['apiKey']);
    if (target.bearerToken?.startsWith('prdm_cmp_') === true && target.workspaceUid === undefined) {
      issue(paradimeCredentialMessages.companyWithoutWorkspace, ['workspaceUid']);
    }
  });

/** A validated paradime `target` block. */
export type ParadimeTarget = z.infer<typeof paradimeTargetSchema>;
