import express, { type NextFunction, type Request, type RequestHandler, type Response, type Router } from 'express';
import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import type { SimulatorOptions } from '../definition.js';
import { SimulatorControls, createSimulatorApp, type Simulator } from '../simulator-kit.js';
import { yardstikCreateUserRequestSchema } from './schemas.js';
import { createGroupsRouter, sendYardstikErrors } from './simulator-groups.js';
import { YardstikSimState } from './simulator-state.js';

/** The default account id of the simulator (and of the sandbox connection). */
export const yardstikDefaultAccountId = '00000000-0000-4000-8000-000000000001';

/** Options of the Yardstik simulator. */
export interface YardstikSimulatorOptions extends SimulatorOptions {
  /** The owner's email (default `owner@sandbox.local`). */
  ownerEmail?: string;
  /** Authorization schemes accepted (default both `Account` and `User`: the prefix is a GAP, docs/targets.md). */
  authSchemes?: readonly ('Account' | 'User')[];
}

/** Builds the Yardstik simulator: Account Users (developer.yardstik.com Account Users) and Groups (developer.yardstik.com Groups). */
export function createYardstikSimulator(options: YardstikSimulatorOptions = {}): Simulator {
  const credentials = {
    accountId: options.credentials?.accountId ?? yardstikDefaultAccountId,
    apiKey: options.credentials?.apiKey ?? 'sandbox',
    authScheme: options.credentials?.authScheme ?? 'Account',
  };
  const state = new YardstikSimState(credentials.accountId, {
    id: randomUUID(), first_name: 'Sandbox', last_name: 'Owner', email_address: options.ownerEmail ?? 'owner@sandbox.local', mfaResets: 0,
  });
  const controls = new SimulatorControls(options);
  const app = createSimulatorApp(controls, { reset: () => state.reset(), seed: (body) => state.seed(body), snapshot: () => state.snapshot() });
  // Authenticate before parsing, so an anonymous caller learns nothing about body validation.
  app.use(authenticate(credentials.apiKey, options.authSchemes ?? ['Account', 'User']));
  app.use(express.json({ limit: '1mb' }));
  app.use(createUsersRouter(state, controls));
  app.use(createGroupsRouter(state));
  app.use((_req: Request, res: Response) => sendYardstikErrors(res, 404, [{ message: 'Not Found' }]));
  app.use(errorHandler);
  return {
    type: 'yardstik',
    app,
    controls,
    credentials,
    targetUrl: (servedAt) => servedAt,
    // No timers: everything here is synchronous (docs/targets.md: no async model).
    close: () => controls.releaseHung(),
  };
}

function authenticate(apiKey: string, schemes: readonly string[]): RequestHandler {
  const expected = digest(apiKey);
  return (req, res, next) => {
    const match = /^(\S+) +(\S+)$/.exec(req.get('authorization') ?? '');
    const isKnownScheme = match !== null && schemes.some((scheme) => scheme.toLowerCase() === match[1]?.toLowerCase());
    if (!isKnownScheme || !timingSafeEqual(digest(match[2] ?? ''), expected)) return sendYardstikErrors(res, 401, [{ message: 'Unauthorized' }]);
    next();
  };
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

function createUsersRouter(state: YardstikSimState, controls: SimulatorControls): Router {
  const router = express.Router();
  // A key answers only for its own account. 403 rather than 404: every route lists 403, only item routes list 404 (developer.yardstik.com Account Users).
  router.param('accountId', (req, res, next, accountId: string) => {
    if (accountId.toLowerCase() !== state.accountId.toLowerCase()) return sendYardstikErrors(res, 403, [{ message: 'Forbidden' }]);
    next();
  });
  router.get('/accounts/:accountId/users', (_req, res) => {
    const { group_memberships: _memberships, ...owner } = state.userJson(state.owner);
    res.json({ owner, users: [...state.users.values()].map((user) => state.userJson(user)) });
  });
  router.post('/accounts/:accountId/users', (req, res) => {
    const parsed = yardstikCreateUserRequestSchema.safeParse(req.body ?? {});
    if (!parsed.success) {
      return sendYardstikErrors(res, 422, parsed.error.issues.map((issue) => ({ field: String(issue.path[0] ?? 'base'), message: issue.message })));
    }
    // Duplicate signal is 422 (docs/targets.md, inferred); the item shape is a GAP: Rails-style field + message.
    if (state.findByEmail(parsed.data.email_address) && !controls.allowDuplicateEmails) {
      return sendYardstikErrors(res, 422, [{ field: 'email_address', message: 'has already been taken' }]);
    }
    res.status(201).json(state.userJson(state.addUser(parsed.data)));
  });
  router.get('/accounts/:accountId/users/:userId', (req, res) => {
    const user = state.findById(req.params.userId);
    // The owner by id answers like any user: GAP, the docs only say it is listed apart.
    if (!user) return sendYardstikErrors(res, 404, [{ message: 'Not Found' }]);
    res.json(state.userJson(user));
  });
  router.delete('/accounts/:accountId/users/:userId', (req, res) => {
    const { userId } = req.params;
    // "The owner cannot be deleted" (developer.yardstik.com Account Users); the status is a GAP (DELETE lists no 422): 422 as reset-mfa does.
    if (userId === state.owner.id) return sendYardstikErrors(res, 422, [{ message: 'The account owner cannot be deleted' }]);
    const user = state.removeUser(userId);
    if (!user) return sendYardstikErrors(res, 404, [{ message: 'Not Found' }]);
    res.status(200).json(state.userJson(user));
  });
  router.post('/accounts/:accountId/users/:userId/reset-mfa', (req, res) => {
    const user = state.findById(req.params.userId);
    if (!user) return sendYardstikErrors(res, 404, [{ message: 'Not Found' }]);
    if (user === state.owner) return sendYardstikErrors(res, 422, [{ message: 'MFA cannot be reset for the account owner' }]);
    user.mfaResets++;
    res.status(204).end();
  });
  return router;
}

function errorHandler(err: unknown, _req: Request, res: Response, next: NextFunction): void {
  if (res.headersSent) return next(err);
  // Rails answers malformed JSON with 400 (ActionDispatch ParseError); Yardstik does not document it.
  const isParseError = typeof err === 'object' && err !== null && (err as { type?: unknown }).type === 'entity.parse.failed';
  if (isParseError) return sendYardstikErrors(res, 400, [{ message: 'malformed JSON body' }]);
  sendYardstikErrors(res, 500, [{ message: 'Internal Server Error' }]);
}
