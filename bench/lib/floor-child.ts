import { hash, timingSafeEqual } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import express from 'express';
import pg from 'pg';
import { createLogger } from '../../src/logging/logger.js';
import { BENCH_TOKEN } from './bridge-config.js';
import type { StoreLocation } from './bench-store.js';
import { serveAppChild } from './app-child.js';

/**
 * The floor of a filtered read (`read.ts --floor 1`): express with the work no SCIM bridge can
 * skip, and nothing else. It checks the bearer token on its SHA-256 digest in constant time,
 * takes the userName out of the filter, looks the user up with one prepared, indexed statement
 * in the run's store (the user with its sync state), answers the bridge's own bytes for that
 * request (captured once by the parent), and writes one JSON access-log line per request through
 * the bridge's logger. No SCIM parsing, mapping, render or error handling: what the bridge does on
 * top of this is what it could still shed.
 */

interface FloorConfig {
  store: StoreLocation;
  connection: string;
  body: unknown;
  /** The run's folder: the access log goes to floor.log there. */
  dir: string;
}

const config = JSON.parse(process.env.BENCH_FLOOR ?? '{}') as FloorConfig;
const LOOKUP = `SELECT u.id, u.user_name, u.external_id, u.active, u.attributes, u.version, u.created, u.last_modified,
  s.status, s.target_id, s.role, s.account_status, s.last_sync_at
  FROM users u LEFT JOIN sync_state s ON s.connection = u.connection AND s.user_id = u.id
  WHERE u.connection = $1 AND u.deleted_at IS NULL AND u.user_name_ci = $2`;
const userNameEq = /^userName eq "([^"]*)"$/;
let close: () => Promise<void> = async () => undefined;

/** One indexed lookup of a user by folded userName, in the run's store. */
function lookupIn(store: StoreLocation): (userName: string) => Promise<number> {
  if (store.url.startsWith('sqlite:')) {
    const db = new Database(store.url.slice('sqlite:'.length), { readonly: true, fileMustExist: true });
    const statement = db.prepare(LOOKUP.replace('$1', '?').replace('$2', '?'));
    close = async () => void db.close();
    return async function lookupSqlite(userName) {
      return statement.all(config.connection, userName.toLowerCase()).length;
    };
  }
  const url = new URL(store.url);
  if (store.schema) url.searchParams.set('options', `-c search_path=${store.schema}`);
  const pool = new pg.Pool({ connectionString: url.toString(), max: 10 });
  close = () => pool.end();
  return async function lookupPostgres(userName) {
    return (await pool.query({ name: 'floor_lookup', text: LOOKUP, values: [config.connection, userName.toLowerCase()] })).rowCount ?? 0;
  };
}

function floorApp(): express.Express {
  const digest = (value: string): Buffer => hash('sha256', value, 'buffer');
  const token = digest(BENCH_TOKEN);
  const lookup = lookupIn(config.store);
  const logger = createLogger({ level: 'info', format: 'json', stream: createWriteStream(path.join(config.dir, 'floor.log')), secrets: [BENCH_TOKEN] });
  const text = JSON.stringify(config.body);
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', 'simple');
  app.use((req, res, next) => {
    const started = performance.now();
    res.on('finish', () => logger.info('request', { method: req.method, path: req.path, status: res.statusCode, ms: Math.round((performance.now() - started) * 10) / 10 }));
    next();
  });
  app.get('/scim/v2/:connection/Users', (req, res, next) => {
    const presented = /^Bearer (.+)$/.exec(req.header('authorization') ?? '')?.[1];
    if (presented === undefined || !timingSafeEqual(digest(presented), token)) return void res.status(401).end();
    const userName = userNameEq.exec(String(req.query.filter ?? ''))?.[1];
    if (userName === undefined) return void res.status(400).end();
    lookup(userName).then((found) => {
      if (found !== 1) return void res.status(404).end();
      res.type('application/scim+json').send(text);
    }, next);
  });
  return app;
}

serveAppChild(floorApp, () => close());
