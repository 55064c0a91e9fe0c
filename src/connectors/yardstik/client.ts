import { BridgeError } from '../../errors.js';
import type { ConnectorDeps } from '../definition.js';
import { createTargetHttpClient, describeBody, type ErrorClassifier } from '../http-client.js';
import {
  yardstikAccountUserSchema,
  yardstikAccountUsersSchema,
  yardstikErrorBodySchema,
  yardstikGroupListSchema,
  yardstikGroupSchema,
  type YardstikAccountUser,
  type YardstikAccountUsers,
  type YardstikCreateGroupRequest,
  type YardstikCreateUserRequest,
  type YardstikGroup,
  type YardstikTarget,
} from './schemas.js';

/** Route templates, as logged and as the error classifier sees them. */
export const yardstikRoutes = {
  users: '/accounts/{accountId}/users',
  user: '/accounts/{accountId}/users/{userId}',
  resetMfa: '/accounts/{accountId}/users/{userId}/reset-mfa',
  groups: '/groups',
} as const;

/** Options of {@link YardstikClient.listGroups}. */
export interface YardstikGroupPaging {
  perPage?: number;
  order?: 'asc' | 'desc';
  orderBy?: string;
  signal?: AbortSignal;
}

/** One thin function per Yardstik endpoint the bridge uses. */
export interface YardstikClient {
  /** `GET /accounts/{accountId}/users`: the owner and every other user, in one answer. */
  listUsers(signal?: AbortSignal): Promise<YardstikAccountUsers>;
  getUser(userId: string, signal?: AbortSignal): Promise<YardstikAccountUser>;
  createUser(body: YardstikCreateUserRequest, signal?: AbortSignal): Promise<YardstikAccountUser>;
  deleteUser(userId: string, signal?: AbortSignal): Promise<void>;
  resetMfa(userId: string, signal?: AbortSignal): Promise<void>;
  /** Every group, page after page (`page`/`per_page`). */
  listGroups(paging?: YardstikGroupPaging): AsyncGenerator<YardstikGroup>;
  createGroup(body: YardstikCreateGroupRequest, signal?: AbortSignal): Promise<YardstikGroup>;
  close(): Promise<void>;
}

/** Builds the Yardstik client for one connection. */
export function createYardstikClient(target: YardstikTarget, deps: ConnectorDeps): YardstikClient {
  const http = createTargetHttpClient({
    baseUrl: target.url,
    headers: { authorization: `${target.authScheme} ${target.apiKey}` },
    ...deps,
    classify: createYardstikClassifier(target.accountId),
  });
  const users = `/accounts/${encodeURIComponent(target.accountId)}/users`;
  const user = (userId: string): string => `${users}/${encodeURIComponent(userId)}`;
  const opt = (signal: AbortSignal | undefined): { signal?: AbortSignal } => (signal ? { signal } : {});

  async function* listGroups(paging: YardstikGroupPaging = {}): AsyncGenerator<YardstikGroup> {
    // created_at ascending keeps pages stable while groups are added (new ones land on the last page).
    const query = { per_page: paging.perPage ?? 100, order: paging.order ?? 'asc', order_by: paging.orderBy ?? 'created_at' };
    for (let page = 1; ; page++) {
      const { body } = await http.request({
        method: 'GET', route: yardstikRoutes.groups, query: { ...query, page }, schema: yardstikGroupListSchema, ...opt(paging.signal),
      });
      yield* body.data;
      if (body.data.length === 0 || page >= body.meta.total_pages) return;
    }
  }

  return {
    listUsers: async (signal) =>
      (await http.request({ method: 'GET', route: yardstikRoutes.users, path: users, schema: yardstikAccountUsersSchema, ...opt(signal) })).body,
    getUser: async (userId, signal) =>
      (await http.request({ method: 'GET', route: yardstikRoutes.user, path: user(userId), schema: yardstikAccountUserSchema, ...opt(signal) })).body,
    createUser: async (body, signal) =>
      (await http.request({ method: 'POST', route: yardstikRoutes.users, path: users, body, schema: yardstikAccountUserSchema, ...opt(signal) })).body,
    deleteUser: async (userId, signal) => {
      await http.request({ method: 'DELETE', route: yardstikRoutes.user, path: user(userId), ...opt(signal) });
    },
    resetMfa: async (userId, signal) => {
      // Resetting twice does no harm, so a dropped answer may be retried.
      await http.request({ method: 'POST', route: yardstikRoutes.resetMfa, path: `${user(userId)}/reset-mfa`, idempotent: true, ...opt(signal) });
    },
    listGroups,
    createGroup: async (body, signal) =>
      (await http.request({ method: 'POST', route: yardstikRoutes.groups, body, schema: yardstikGroupSchema, ...opt(signal) })).body,
    close: () => http.close(),
  };
}

/** The texts of an `{"errors": [...]}` body, items as strings or `{field, message}` (the item shape is a GAP). */
export function yardstikErrorTexts(body: unknown): string[] {
  const parsed = yardstikErrorBodySchema.safeParse(body);
  if (!parsed.success) return [];
  return parsed.data.errors.map((item) => (typeof item === 'string' ? item : [item.field, item.message].filter(Boolean).join(' ')));
}

/** Maps Yardstik's auth, duplicate and owner answers to the bridge's codes; other statuses keep the defaults. */
export function createYardstikClassifier(accountId: string): ErrorClassifier {
  return (status, body, route) => {
    const details = { status, route, ...describeBody(body) };
    const texts = yardstikErrorTexts(body);
    if (status === 401) {
      return new BridgeError('TARGET_AUTH', "Yardstik rejected the API key (401): check target.apiKey and target.authScheme ('Account' or 'User')", { details });
    }
    // Only a wrong account answers 403 or 404 on the collection route: the Account Users docs list no 404 there.
    if (status === 403 || (status === 404 && route === yardstikRoutes.users)) {
      return new BridgeError('TARGET_AUTH', `the API key may not use Yardstik account ${accountId} (${status}): check target.accountId`, { details: { ...details, accountId } });
    }
    if (status !== 422) return undefined;
    if (route === yardstikRoutes.users && texts.some((text) => /already (been )?taken|already exists|duplicate/i.test(text))) {
      return new BridgeError('TARGET_CONFLICT', 'a Yardstik account user with this email already exists', { details });
    }
    // The owner is the only documented reason a user cannot be deleted or have MFA reset (developer.yardstik.com Account Users).
    if (route === yardstikRoutes.user || (route === yardstikRoutes.resetMfa && texts.some((text) => /owner/i.test(text)))) {
      return new BridgeError('PROTECTED_ACCOUNT', 'Yardstik refuses this change to the account owner', { details });
    }
    return undefined;
  };
}
