import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { LoadedConfig } from '../config/load.js';

/**
 * What the startup log says: what runs where, with no secret in it (URLs lose their
 * credentials and query strings; the store shows its kind and place only).
 */

/** The store's kind and place, without credentials: `sqlite /data/bridge.db`, `postgres db.internal:5432/scim`. */
export function describeStore(url: string): { kind: 'sqlite' | 'postgres'; location: string } {
  if (url.startsWith('sqlite:')) {
    const file = url.slice('sqlite:'.length);
    return { kind: 'sqlite', location: file === ':memory:' ? ':memory:' : path.resolve(file) };
  }
  try {
    const parsed = new URL(url);
    return { kind: 'postgres', location: `${parsed.hostname}:${parsed.port || '5432'}${parsed.pathname}` };
  } catch {
    return { kind: 'postgres', location: '(unparsable URL)' };
  }
}

/** A URL without credentials, query or fragment. */
export function safeUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
  } catch {
    return '(unparsable URL)';
  }
}

function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return '(unparsable URL)';
  }
}

/** The package version, or `unknown` when package.json is not next to the code. */
export function bridgeVersion(): string {
  try {
    // Both src/observability and dist/observability sit two levels below package.json.
    const text = readFileSync(new URL('../../package.json', import.meta.url), 'utf8');
    const version = (JSON.parse(text) as { version?: unknown }).version;
    return typeof version === 'string' ? version : 'unknown';
  } catch {
    return 'unknown';
  }
}

/** The fields of the "scim-bridge started" log line. */
export function startupSummary(loaded: LoadedConfig, url: string, extra: { adminAccess: string; isRunningWorkers: boolean; version: string }): Record<string, unknown> {
  const store = describeStore(loaded.config.store);
  return {
    version: extra.version,
    url,
    tls: loaded.config.listen.tls !== undefined,
    config: loaded.file ?? 'sandbox',
    store: `${store.kind} ${store.location}`,
    connections: loaded.connections.map((c) => ({
      name: c.name,
      type: c.type,
      mode: c.mode,
      drift: c.drift,
      scim: `${url}/scim/v2/${c.name}`,
      // How IdPs may authenticate (never the credentials themselves).
      auth: [...(c.scim.tokens.length > 0 ? ['bearer'] : []), ...(c.scim.basic ? ['basic'] : []), ...(c.scim.oauth ? ['oauth'] : [])],
      target: safeUrl(c.target.url),
    })),
    // Receivers by origin only: a webhook URL may hold a token in its path (Slack) or query.
    notify: (loaded.config.notify?.webhooks ?? []).map((hook, i) => ({ name: hook.name ?? `webhook-${i + 1}`, receiver: originOf(hook.url), format: hook.format, events: hook.events, isSigned: hook.secret !== undefined })),
    admin: { metrics: `${url}/metrics`, status: `${url}/status`, access: extra.adminAccess },
    trustProxy: loaded.config.http.trustProxy,
    workers: extra.isRunningWorkers,
  };
}
