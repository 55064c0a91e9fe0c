import type { z } from 'zod';
import { BridgeError } from '../../errors.js';
import type { ConnectorDeps } from '../definition.js';
import { createTargetHttpClient, type ErrorClassifier, type TargetHttpClient } from '../http-client.js';
import { paradimeGraphqlError, paradimeNotOk } from './errors.js';
import {
  paradimeDisableUserResponseSchema,
  paradimeGraphqlErrorSchema,
  paradimeInviteUserResponseSchema,
  paradimeListUsersResponseSchema,
  paradimeListWorkspacesResponseSchema,
  paradimeUpdateUserAccountTypeResponseSchema,
  type ParadimeAccountType,
  type ParadimeGraphqlError,
  type ParadimeListUsersResult,
  type ParadimeListWorkspacesResult,
  type ParadimeTarget,
} from './schemas.js';

/**
 * One function per Paradime GraphQL operation (Paradime's User Management API docs; SDK `paradime/apis/users/client.py`),
 * all sent as `POST <url>` with `{query, variables, operationName}` to the workspace endpoint.
 */

// The documents use variables, as in the docs' cURL examples; no paging exists (Paradime's User Management API docs).
const documents = {
  listUsers: {
    name: 'ListUsers',
    query: 'query ListUsers { listUsers { ok activeUsers { uid email name accountType } invitedUsers { email accountType inviteStatus } } }',
  },
  listWorkspaces: { name: 'ListWorkspaces', query: 'query ListWorkspaces { listWorkspaces { ok workspaces { name uid } } }' },
  inviteUser: {
    name: 'InviteUser',
    query: 'mutation InviteUser($email: String!, $accountType: UserAccountType!) { inviteUser(email: $email, accountType: $accountType) { ok } }',
  },
  updateUserAccountType: {
    name: 'UpdateUserAccountType',
    query:
      'mutation UpdateUserAccountType($uid: String!, $accountType: UserAccountType!) { updateUserAccountType(uid: $uid, accountType: $accountType) { ok } }',
  },
  disableUser: { name: 'DisableUser', query: 'mutation DisableUser($uid: String!) { disableUser(uid: $uid) { ok } }' },
} as const;

type Operation = keyof typeof documents;

/** The Paradime GraphQL client of one connection. */
export interface ParadimeClient {
  listUsers(signal?: AbortSignal): Promise<ParadimeListUsersResult>;
  listWorkspaces(signal?: AbortSignal): Promise<ParadimeListWorkspacesResult>;
  inviteUser(email: string, accountType: ParadimeAccountType, signal?: AbortSignal): Promise<void>;
  updateUserAccountType(uid: string, accountType: ParadimeAccountType, signal?: AbortSignal): Promise<void>;
  disableUser(uid: string, signal?: AbortSignal): Promise<void>;
  close(): Promise<void>;
}

/** The credential headers: legacy key pair (Paradime's User Management API docs) or a bearer token (SDK `api_client.py`). */
export function paradimeAuthHeaders(target: ParadimeTarget): Record<string, string> {
  if (target.bearerToken !== undefined) {
    return {
      authorization: `Bearer ${target.bearerToken}`,
      ...(target.workspaceUid !== undefined ? { 'x-paradime-workspace': target.workspaceUid } : {}),
    };
  }
  return { 'x-api-key': target.apiKey ?? '', 'x-api-secret': target.apiSecret ?? '' };
}

// A 4xx carrying GraphQL `errors` (a query the server refused to run) is classified like a 200
// with errors; 401/403/429 and 5xx keep the shared client's rules.
const classifyGraphqlStatus: ErrorClassifier = (status, body, route) => {
  if (status !== 400 && status !== 422) return undefined;
  const errors = paradimeGraphqlErrorSchema.array().min(1).safeParse((body as { errors?: unknown } | undefined)?.errors);
  return errors.success ? paradimeGraphqlError(route, errors.data, status) : undefined;
};

/** Creates the client; the shared HTTP client owns pooling, timeouts, retries and call logs. */
export function createParadimeClient(target: ParadimeTarget, deps: ConnectorDeps): ParadimeClient {
  const http: TargetHttpClient = createTargetHttpClient({
    baseUrl: target.url,
    headers: paradimeAuthHeaders(target),
    ...deps,
    classify: classifyGraphqlStatus,
  });

  async function send<Data>(
    operation: Operation,
    variables: Record<string, string>,
    schema: z.ZodType<{ data?: Data | null | undefined; errors?: ParadimeGraphqlError[] | undefined }>,
    idempotent: boolean,
    signal: AbortSignal | undefined,
  ): Promise<Data | null> {
    const response = await http.request({
      method: 'POST',
      // One endpoint for everything: the operation names the call in logs and metrics.
      route: operation,
      path: '',
      body: { query: documents[operation].query, variables, operationName: documents[operation].name },
      schema,
      idempotent,
      ...(signal ? { signal } : {}),
    });
    // The SDK raises whenever `errors` is present, even beside partial data (`api_client.py`).
    if (response.body.errors && response.body.errors.length > 0) throw paradimeGraphqlError(operation, response.body.errors);
    return response.body.data ?? null;
  }

  function requireResult<Result extends { ok: boolean }>(operation: Operation, result: Result | null | undefined): Result {
    if (result === null || result === undefined) {
      throw new BridgeError('TARGET_INVALID_RESPONSE', `paradime ${operation} returned no result and no error`, { details: { operation } });
    }
    if (!result.ok) throw paradimeNotOk(operation);
    return result;
  }

  return {
    async listUsers(signal) {
      const data = await send('listUsers', {}, paradimeListUsersResponseSchema, true, signal);
      return requireResult('listUsers', data?.listUsers);
    },
    async listWorkspaces(signal) {
      const data = await send('listWorkspaces', {}, paradimeListWorkspacesResponseSchema, true, signal);
      return requireResult('listWorkspaces', data?.listWorkspaces);
    },
    async inviteUser(email, accountType, signal) {
      // Not idempotent: a repeated invite after a lost answer reads as "already invited".
      const data = await send('inviteUser', { email, accountType }, paradimeInviteUserResponseSchema, false, signal);
      requireResult('inviteUser', data?.inviteUser);
    },
    async updateUserAccountType(uid, accountType, signal) {
      const data = await send('updateUserAccountType', { uid, accountType }, paradimeUpdateUserAccountTypeResponseSchema, true, signal);
      requireResult('updateUserAccountType', data?.updateUserAccountType);
    },
    async disableUser(uid, signal) {
      const data = await send('disableUser', { uid }, paradimeDisableUserResponseSchema, true, signal);
      requireResult('disableUser', data?.disableUser);
    },
    close: () => http.close(),
  };
}
