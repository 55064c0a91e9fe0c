import { timingSafeEqual } from 'node:crypto';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { buildSchema, execute, GraphQLError, Kind, parse, validate, type DocumentNode, type OperationDefinitionNode } from 'graphql';
import { z } from 'zod';
import type { SimulatorOptions } from '../definition.js';
import { createSimulatorApp, nameSimOperation, SimulatorControls, type Simulator } from '../simulator-kit.js';
import { paradimeErrorCodes } from './errors.js';
import { paradimeAccountTypes, paradimeInviteStatuses } from './schemas.js';
import { createInjectedErrors, type InjectedErrors } from './simulator-errors.js';
import { createParadimeSimState, type ParadimeSimState } from './simulator-state.js';

/**
 * Simulator of Paradime's GraphQL user-management API: one endpoint per workspace,
 * `POST /api/v1/<token>/graphql`, executed by the real `graphql` package against the schema
 * below (Paradime's User Management API docs operations; SDK `types.py` enums). Routes and choices: docs/simulators/paradime.md.
 */

const sdl = `
  enum UserAccountType { ${paradimeAccountTypes.join(' ')} }
  enum InviteStatus { ${paradimeInviteStatuses.join(' ')} }
  type ActiveUser { uid: String! email: String! name: String accountType: UserAccountType! }
  type InvitedUser { email: String! accountType: UserAccountType! inviteStatus: InviteStatus }
  type ListUsersResult { ok: Boolean! activeUsers: [ActiveUser!] invitedUsers: [InvitedUser!] }
  type Workspace { name: String! uid: String! }
  type ListWorkspacesResult { ok: Boolean! workspaces: [Workspace!] }
  type OkResult { ok: Boolean! }
  type Query { listUsers: ListUsersResult listWorkspaces: ListWorkspacesResult }
  type Mutation {
    inviteUser(email: String!, accountType: UserAccountType!): OkResult
    updateUserAccountType(uid: String!, accountType: UserAccountType!): OkResult
    disableUser(uid: String!): OkResult
  }
`;
const schema = buildSchema(sdl);

/** The default workspace uid (what a company token must name in `X-Paradime-Workspace`). */
export const paradimeSandboxWorkspaceUid = '5ba3b946e3eda395b923018de8556d85b851d939a91c27d5a62aae0920292354';

const roleArgs = z.object({ accountType: z.enum(paradimeAccountTypes) });
const inviteArgs = roleArgs.extend({ email: z.string() });
const updateArgs = roleArgs.extend({ uid: z.string() });
const uidArgs = z.object({ uid: z.string() });
const requestSchema = z.object({
  query: z.string().min(1),
  variables: z.record(z.string(), z.unknown()).nullable().optional(),
  operationName: z.string().nullable().optional(),
});

// graphql has already coerced the arguments to the schema; zod only narrows their TypeScript type.
function rootResolvers(state: ParadimeSimState, injected: InjectedErrors): Record<string, (args: unknown) => unknown> {
  const resolvers: Record<string, (args: unknown) => unknown> = {
    listUsers: () => state.listUsers(),
    listWorkspaces: () => state.listWorkspaces(),
    inviteUser: (args) => {
      const { email, accountType } = inviteArgs.parse(args);
      return state.inviteUser(email, accountType);
    },
    updateUserAccountType: (args) => {
      const { uid, accountType } = updateArgs.parse(args);
      return state.updateUserAccountType(uid, accountType);
    },
    disableUser: (args) => state.disableUser(uidArgs.parse(args).uid),
  };
  return Object.fromEntries(
    Object.entries(resolvers).map(([operation, resolve]) => [
      operation,
      (args: unknown) => {
        injected.raise(operation);
        return resolve(args);
      },
    ]),
  );
}

interface SimCredentials {
  apiKey: string;
  apiSecret: string;
  workspaceToken: string;
  companyToken: string;
  workspaceUid: string;
}

function resolveCredentials(given: Record<string, string> = {}): SimCredentials {
  const bearer = given.bearerToken;
  return {
    apiKey: given.apiKey ?? 'sandbox',
    apiSecret: given.apiSecret ?? 'sandbox',
    workspaceToken: bearer !== undefined && !bearer.startsWith('prdm_cmp_') ? bearer : 'prdm_wsp_sandbox',
    companyToken: bearer?.startsWith('prdm_cmp_') === true ? bearer : 'prdm_cmp_sandbox',
    workspaceUid: given.workspaceUid ?? paradimeSandboxWorkspaceUid,
  };
}

function same(given: string | undefined, expected: string): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Why the request is not authenticated, or null. Messages never echo what was sent. */
function authProblem(req: Request, creds: SimCredentials): string | null {
  const authorization = req.get('authorization');
  if (authorization !== undefined) {
    const token = /^Bearer\s+(\S+)$/i.exec(authorization)?.[1];
    if (same(token, creds.workspaceToken)) return null;
    if (!same(token, creds.companyToken)) return 'Invalid API token';
    const workspace = req.get('x-paradime-workspace');
    if (workspace === undefined) return 'A company token requires the X-Paradime-Workspace header';
    return same(workspace, creds.workspaceUid) ? null : 'Unknown workspace for this company token';
  }
  const key = req.get('x-api-key');
  const secret = req.get('x-api-secret');
  if (key === undefined || secret === undefined) return 'Missing API credentials: send X-API-KEY and X-API-SECRET, or Authorization: Bearer';
  return same(key, creds.apiKey) && same(secret, creds.apiSecret) ? null : 'Invalid API key or secret';
}

async function runGraphql(req: Request, res: Response, rootValue: Record<string, unknown>): Promise<void> {
  const body = requestSchema.safeParse(req.body);
  if (!body.success) return void res.status(400).json({ errors: [{ message: 'Must provide query string.' }] });
  let document: DocumentNode;
  try {
    document = parse(body.data.query);
  } catch (err) {
    if (err instanceof GraphQLError) return void res.status(400).json({ errors: [err.toJSON()] });
    throw err;
  }
  const problems = validate(schema, document);
  if (problems.length > 0) return void res.status(400).json({ errors: problems.map((problem) => problem.toJSON()) });
  nameSimOperation(res, operationName(document, body.data.operationName ?? null));
  const result = await execute({
    schema,
    document,
    rootValue,
    variableValues: body.data.variables ?? null,
    operationName: body.data.operationName ?? null,
  });
  // GraphQL over HTTP: a request that never ran (bad variables, unknown operation) has no `data`.
  res.status('data' in result ? 200 : 400).json(result);
}

/** `/_sim/graphql-errors` (inject a GraphQL error) and `/_sim/enable` (the UI's "Enable user"). */
function paradimeControlRoutes(router: Router, state: ParadimeSimState, injected: InjectedErrors): void {
  router.post('/graphql-errors', (req, res) => {
    try {
      res.status(201).json(injected.add(req.body));
    } catch (err) {
      res.status(400).json({ error: err instanceof Error ? err.message : String(err) });
    }
  });
  router.delete('/graphql-errors', (_req, res) => {
    injected.clear();
    res.status(204).end();
  });
  router.post('/enable', (req, res) => {
    const email = (req.body as { email?: unknown } | undefined)?.email;
    if (typeof email !== 'string') return void res.status(400).json({ error: 'expected {email}' });
    try {
      res.json(state.enable(email));
    } catch (err) {
      res.status(404).json({ error: err instanceof Error ? err.message : String(err) });
    }
  });
}

/** `mutation inviteUser`, `query listUsers`: the operation's type and its root fields, for the request log. */
function operationName(document: DocumentNode, wanted: string | null): string {
  const operation = document.definitions.find(
    (def): def is OperationDefinitionNode => def.kind === Kind.OPERATION_DEFINITION && (wanted === null || def.name?.value === wanted),
  );
  if (!operation) return 'unknown';
  const fields = operation.selectionSet.selections.flatMap((selection) => (selection.kind === Kind.FIELD ? [selection.name.value] : []));
  return `${operation.operation} ${fields.join(' ')}`.trim();
}

/** Creates a Paradime simulator holding one ADMIN, `admin@sandbox.local`. */
export function createParadimeSimulator(options: SimulatorOptions = {}): Simulator {
  const creds = resolveCredentials(options.credentials);
  const controls = new SimulatorControls(options);
  const state = createParadimeSimState({
    workspace: { name: 'Sandbox', uid: creds.workspaceUid },
    autoAcceptSeconds: options.autoAcceptSeconds,
    allowsDuplicateEmails: () => controls.allowDuplicateEmails,
  });
  const injected = createInjectedErrors();
  const app = createSimulatorApp(controls, {
    reset: () => {
      state.reset();
      injected.clear();
    },
    seed: (body) => state.seed(body),
    accept: (email) => state.accept(email),
    snapshot: () => state.snapshot(),
    controlRoutes: (router) => paradimeControlRoutes(router, state, injected),
  });
  const rootValue = rootResolvers(state, injected);
  const authenticate = (req: Request, res: Response, next: NextFunction): void => {
    const problem = authProblem(req, creds);
    // The real status for bad credentials is a GAP (undocumented): the simulator answers 401.
    if (problem !== null) return void res.status(401).json({ errors: [{ message: problem, extensions: { code: paradimeErrorCodes.unauthenticated } }] });
    next();
  };
  app.post('/api/v1/:token/graphql', authenticate, express.json({ limit: '1mb' }), (req, res, next) => {
    runGraphql(req, res, rootValue).catch(next);
  });
  app.use((req, res) => void res.status(404).json({ errors: [{ message: `Cannot ${req.method} ${req.path}` }] }));
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const status = (err as { status?: unknown }).status;
    const message = typeof status === 'number' && status < 500 ? 'Body must be a JSON object with a query string' : 'Internal server error';
    res.status(typeof status === 'number' && status < 500 ? status : 500).json({ errors: [{ message }] });
  });
  return {
    type: 'paradime',
    app,
    controls,
    targetUrl: (servedAt) => `${servedAt.replace(/\/$/, '')}/api/v1/sandbox/graphql`,
    credentials: { apiKey: creds.apiKey, apiSecret: creds.apiSecret },
    close: () => {
      state.close();
      controls.releaseHung();
    },
  };
}
