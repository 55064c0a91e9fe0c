import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import type { SimulatorOptions } from '../definition.js';
import { createSimulatorApp, SimulatorControls, type Simulator, type SimulatorHooks } from '../simulator-kit.js';
import { canonicalRedisCloudRole, redisCloudUserCreateRequestSchema, redisCloudUserUpdateRequestSchema, type RedisCloudRole } from './schemas.js';
import {
  acceptSimInvitation,
  createSimAccountState,
  findSimUserByEmail,
  runDelete,
  runInvite,
  runUpdate,
  seedSimUsers,
  type SimAccountState,
  type SimKeyUserOptions,
} from './simulator-state.js';
import { createSimTimers, SimTaskQueue, type SimTask, type SimTaskOutcome, type SimTimers } from './simulator-tasks.js';

/** Options of the Redis Cloud simulator. */
export interface RedisCloudSimulatorOptions extends SimulatorOptions {
  /** Serve the agent page's `POST /v1/users` invitation (default true); off, the route does not exist, as in RC-OAS. */
  inviteEndpoint?: boolean;
  /** Tasks that may wait in `received` before writes answer 429 (default 10). */
  maxQueuedTasks?: number;
  /** Duration of each task step, received → in progress → final (default 25 ms). */
  taskStepMs?: number;
  /** Status of an accepted write: 200 as in RC-OAS (default) or 202 as in the redisctl mocks (Redis Cloud's task docs). */
  writeStatus?: 200 | 202;
  /** The API key's own user (default: `Sandbox Owner`, `owner@sandbox.local`, Owner). */
  apiKeyUser?: SimKeyUserOptions;
}

/** Credentials the simulator accepts unless told otherwise. */
export const redisCloudDefaultCredentials = { apiKey: 'sandbox', apiSecretKey: 'sandbox' } as const;

interface SimContext {
  controls: SimulatorControls;
  state: SimAccountState;
  queue: SimTaskQueue;
  timers: SimTimers;
  credentials: { apiKey: string; apiSecretKey: string };
  options: RedisCloudSimulatorOptions;
}

/** Creates an in-memory Redis Cloud (account users and tasks) served under `/v1`. */
export function createRedisCloudSimulator(options: RedisCloudSimulatorOptions = {}): Simulator {
  const credentials = {
    apiKey: options.credentials?.apiKey ?? redisCloudDefaultCredentials.apiKey,
    apiSecretKey: options.credentials?.apiSecretKey ?? redisCloudDefaultCredentials.apiSecretKey,
  };
  const controls = new SimulatorControls(options);
  const timers = createSimTimers();
  const queue = new SimTaskQueue(timers, { stepMs: options.taskStepMs ?? 25, maxQueued: options.maxQueuedTasks ?? 10 });
  const state = createSimAccountState(options.apiKeyUser);
  const hooks: SimulatorHooks = {
    reset: () => {
      timers.clear();
      queue.clear();
      Object.assign(state, createSimAccountState(options.apiKeyUser));
    },
    seed: (body) => seedSimUsers(state, body),
    accept: (email) => acceptSimInvitation(state, email),
    snapshot: () => ({ accountId: state.accountId, apiKeyUserId: state.keyUserId, users: [...state.users.values()], tasks: queue.list() }),
  };
  const app = createSimulatorApp(controls, hooks);
  app.use('/v1', createApiRouter({ controls, state, queue, timers, credentials, options }));
  app.use((_req: Request, res: Response) => void res.status(404).json({ error: 'Not Found' }));
  app.use((err: { status?: number }, _req: Request, res: Response, _next: NextFunction) => {
    const status = typeof err.status === 'number' && err.status >= 400 && err.status < 500 ? err.status : 500;
    res.status(status).json({ error: status === 500 ? 'Internal system error' : 'Bad Request' });
  });
  return {
    type: 'redis-cloud',
    app,
    controls,
    credentials,
    targetUrl: (servedAt) => `${servedAt.replace(/\/$/, '')}/v1`,
    close: () => {
      timers.clear();
      controls.releaseHung();
    },
  };
}

function createApiRouter(ctx: SimContext): Router {
  const router = express.Router();
  router.use(requireKeys(ctx.credentials));
  router.use(express.json());
  router.get('/', (req, res) => void res.json(rootAccount(ctx.state, req)));
  router.get('/users', (_req, res) => void res.json({ account: ctx.state.accountId, users: [...ctx.state.users.values()] }));
  // `userId` is an int32 path parameter (RC-OAS); anything else is a client error.
  router.param('userId', (_req, res, next, raw: string) => (parseUserId(raw) === undefined ? reject(res, 400, 'userId must be an int32') : next()));
  router.get('/users/:userId', (req, res) => {
    const user = ctx.state.users.get(Number(req.params.userId));
    if (!user) return reject(res, 404, 'User not found');
    res.json(user);
  });
  if (ctx.options.inviteEndpoint !== false) router.post('/users', (req, res) => invite(ctx, req, res));
  router.put('/users/:userId', (req, res) => update(ctx, req, res));
  router.delete('/users/:userId', (req, res) => {
    const userId = Number(req.params.userId);
    if (!ctx.state.users.has(userId)) return reject(res, 404, 'User not found');
    startTask(ctx, req, res, 'userDeleteRequest', () => runDelete(ctx.state, userId));
  });
  router.get('/tasks', (req, res) => void res.json({ tasks: ctx.queue.list().map((task) => taskBody(task, req, 'self')) }));
  router.get('/tasks/:taskId', (req, res) => {
    const task = ctx.queue.get(req.params.taskId);
    if (!task) return reject(res, 404, 'Task not found');
    res.json(taskBody(task, req, 'self'));
  });
  return router;
}

// Two headers on every call, both apiKey security schemes (RC-OAS securitySchemes, Redis Cloud's access-management docs).
function requireKeys(credentials: SimContext['credentials']) {
  return (req: Request, res: Response, next: NextFunction): void => {
    if (req.get('x-api-key') === credentials.apiKey && req.get('x-api-secret-key') === credentials.apiSecretKey) return next();
    reject(res, 401, 'Unauthorized - Authentication failed for requested resource');
  };
}

// The agent page's invitation. RC-OAS has no POST /users (docs/simulators/redis-cloud.md); 409 on a known email follows the agent page.
function invite(ctx: SimContext, req: Request, res: Response): void {
  const parsed = redisCloudUserCreateRequestSchema.safeParse(req.body);
  const role = parsed.success ? canonicalRedisCloudRole(parsed.data.role) : undefined;
  if (!parsed.success || !role || !/^[^@\s]+@[^@\s]+$/.test(parsed.data.email)) return reject(res, 400, 'Bad Request - check email format and role');
  const email = parsed.data.email.toLowerCase();
  const allowsDuplicate = ctx.controls.allowDuplicateEmails;
  if (!allowsDuplicate && (findSimUserByEmail(ctx.state, email) || ctx.state.queuedInvites.has(email))) return reject(res, 409, 'User with this email already exists');
  const body = { name: parsed.data.name, email: parsed.data.email, role };
  const started = startTask(ctx, req, res, 'userCreateRequest', () => {
    const outcome = runInvite(ctx.state, body, allowsDuplicate);
    const seconds = ctx.options.autoAcceptSeconds;
    // Accepts only if the invitee is still there (a reset also clears this timer).
    const accept = (): void => {
      if (findSimUserByEmail(ctx.state, body.email)) acceptSimInvitation(ctx.state, body.email);
    };
    if ('resourceId' in outcome && seconds !== undefined) ctx.timers.after(seconds * 1000, accept);
    return outcome;
  });
  if (started) ctx.state.queuedInvites.add(email);
}

function update(ctx: SimContext, req: Request, res: Response): void {
  const userId = Number(req.params.userId);
  const parsed = redisCloudUserUpdateRequestSchema.safeParse(req.body);
  // The agent page (docs/simulators/redis-cloud.md) sends roles lowercase; the RC-OAS enum is capitalised: accept both.
  const role: RedisCloudRole | undefined = parsed.success && parsed.data.role !== undefined ? canonicalRedisCloudRole(parsed.data.role) : undefined;
  if (!parsed.success || (parsed.data.role !== undefined && !role)) return reject(res, 400, 'Bad Request - name is required and role must be one of the documented roles');
  if (!ctx.state.users.has(userId)) return reject(res, 404, 'User not found');
  const change = { name: parsed.data.name, ...(role ? { role } : {}) };
  startTask(ctx, req, res, 'userUpdateRequest', () => runUpdate(ctx.state, userId, change));
}

// The task with 200 (RC-OAS) or 202 (redisctl mocks), or 429 when too many tasks wait (Redis Cloud's OpenAPI document and Redis Cloud's task docs).
function startTask(ctx: SimContext, req: Request, res: Response, commandType: string, run: () => SimTaskOutcome): SimTask | undefined {
  const task = ctx.queue.enqueue(commandType, run);
  if (!task) {
    reject(res, 429, 'Too Many Requests - Too many resources are concurrently created / updated / deleted in the account. Please re-submit API requests after resource changes are completed');
    return undefined;
  }
  res.status(ctx.options.writeStatus ?? 200).json(taskBody(task, req, 'task'));
  return task;
}

// HAL `_links` object as in Redis Cloud's manage-tasks docs, not RC-OAS's `links` array; built from the
// request so the simulator works at a root and under a prefix.
function taskBody(task: SimTask, req: Request, linkName: 'task' | 'self'): SimTask & { _links: Record<string, { href: string; title: string; type: string }> } {
  const base = `${req.protocol}://${req.get('host') ?? 'localhost'}${req.baseUrl}`;
  const resourceId = task.response?.resourceId;
  const hasResource = task.status === 'processing-completed' && resourceId !== undefined && task.commandType !== 'userDeleteRequest';
  return {
    ...task,
    _links: {
      [linkName]: { href: `${base}/tasks/${task.taskId}`, title: 'getTaskStatusUpdates', type: 'GET' },
      ...(hasResource ? { resource: { href: `${base}/users/${resourceId}`, title: 'getUserById', type: 'GET' } } : {}),
    },
  };
}

function rootAccount(state: SimAccountState, req: Request): unknown {
  const keyUser = state.users.get(state.keyUserId);
  return {
    account: {
      id: state.accountId,
      name: state.accountName,
      createdTimestamp: state.createdAt,
      updatedTimestamp: state.createdAt,
      pocStatus: 'inactive',
      marketplaceStatus: 'active',
      key: {
        name: 'sandbox-api-key',
        accountId: state.accountId,
        accountName: state.accountName,
        allowedSourceIps: ['0.0.0.0/0'],
        createdTimestamp: state.createdAt,
        owner: { name: keyUser?.name ?? '', email: keyUser?.email ?? '' },
        userAccountId: state.keyUserId,
        httpSourceIp: (req.ip ?? '').replace(/^::ffff:/, ''),
      },
    },
  };
}

function parseUserId(raw: string | undefined): number | undefined {
  if (raw === undefined || !/^\d{1,10}$/.test(raw)) return undefined;
  const id = Number(raw);
  return id <= 2_147_483_647 ? id : undefined;
}

// RC-OAS documents no error body; the redisctl mocks' `{"error": "..."}` shape is used (Redis Cloud's OpenAPI document).
function reject(res: Response, status: number, message: string): void {
  res.status(status).json({ error: message });
}
