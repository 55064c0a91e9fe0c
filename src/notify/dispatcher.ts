import { createHash } from 'node:crypto';
import { request } from 'undici';
import type { WebhookConfig } from '../config/notify-schema.js';
import type { ClaimedNotification, Store } from '../directory/store.js';
import type { Logger } from '../logging/logger.js';
import { renderBody, singleDelivery, summaryDelivery, type Delivery, type QueuedEvent } from './messages.js';
import { DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER, signBody, TIMESTAMP_HEADER } from './signature.js';

/**
 * Delivers the notification outbox to each webhook: claims a webhook's due rows (leased, so
 * replicas never send one row twice at once), sends each, or one summary when more than
 * `summarizeAbove` are due together, at most `maxPerMinute` deliveries per minute (a sliding
 * window in the store, shared by replicas), and deletes a row only once the receiver answered
 * 2xx. A failure backs off exponentially (honouring Retry-After) and keeps the rows: a restart
 * or a receiver away loses nothing. Delivery is at least once: receivers drop repeats by the
 * X-Scim-Bridge-Delivery id.
 */

/** A configured webhook with its name resolved. */
export type NamedWebhook = WebhookConfig & { name: string };

/** Options of {@link NotificationDispatcher}. */
export interface DispatcherOptions {
  store: Store;
  webhooks: readonly NamedWebhook[];
  logger: Logger;
  /** How often the outbox is looked at; events due within it travel together. Default 2 s. */
  pollMs?: number;
  /** First retry delay after a failed delivery (doubling, capped at `maxRetryMs`). Default 5 s. */
  retryBaseMs?: number;
  /** Longest retry delay. Default 10 min. */
  maxRetryMs?: number;
  /** A notification still undelivered after this long is dropped (logged at error). Default 24 h. */
  maxAgeMs?: number;
  /** Per delivery. Default 10 s. */
  timeoutMs?: number;
  /** More due events than this at once go out as one summary. Default 3. */
  summarizeAbove?: number;
  /** The clock of signature timestamps (epoch ms). */
  now?: () => number;
}

const RATE_WINDOW_MS = 60_000;
const CLAIM_LIMIT = 1000;
const LEASE_MS = 120_000;

/** What a delivery attempt came to. */
type Sent = { ok: true } | { ok: false; error: string; retryAfterMs?: number };

/** The webhook deliverer: a start/stop resource built at the root. */
export class NotificationDispatcher {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private isStarted = false;
  /** Per webhook: no delivery before this (epoch ms), after a failure. */
  private readonly pausedUntil = new Map<string, number>();
  private readonly abort = new AbortController();

  constructor(private readonly options: DispatcherOptions) {}

  /** Starts polling the outbox; warns about rows queued for webhooks no longer configured. */
  start(): void {
    if (this.isStarted) return;
    void this.warnOrphans();
    if (this.options.webhooks.length === 0) return;
    this.isStarted = true;
    this.schedule(0);
  }

  private async warnOrphans(): Promise<void> {
    const names = new Set(this.options.webhooks.map((hook) => hook.name));
    try {
      for (const queued of await this.options.store.notificationStats()) {
        if (names.has(queued.webhook)) continue;
        this.options.logger.warn('notifications queued for a webhook that is no longer configured: they stay undelivered until a webhook of that name is configured again', { component: 'notify', webhook: queued.webhook, pending: queued.pending });
      }
    } catch (err) {
      this.options.logger.error('cannot read the notification outbox', { component: 'notify', error: err instanceof Error ? err.message : String(err) });
    }
  }

  /** Stops polling and waits for a delivery in flight (its rows stay leased, then due again, if cut short). */
  async stop(): Promise<void> {
    this.isStarted = false;
    clearTimeout(this.timer);
    const grace = new Promise<void>((resolve) => setTimeout(resolve, this.timeoutMs() + 1_000).unref());
    await Promise.race([this.running ?? Promise.resolve(), grace]);
    this.abort.abort();
  }

  private schedule(ms: number): void {
    this.timer = setTimeout(() => {
      this.running = this.deliverDue().then(
        () => undefined,
        (err: unknown) => {
          this.options.logger.error('notification delivery failed', { error: err instanceof Error ? err.message : String(err) });
        },
      ).finally(() => {
        if (this.isStarted) this.schedule(this.options.pollMs ?? 2_000);
      });
    }, ms);
    this.timer.unref();
  }

  /** One pass over every webhook: delivers what is due; returns how many rows were delivered. */
  async deliverDue(): Promise<number> {
    let delivered = 0;
    for (const hook of this.options.webhooks) {
      if ((this.pausedUntil.get(hook.name) ?? 0) > Date.now()) continue;
      try {
        delivered += await this.deliverWebhook(hook);
      } catch (err) {
        // The store is away: the rows stay leased, then due again.
        this.log(hook).error('cannot read the notification outbox', { error: err instanceof Error ? err.message : String(err) });
      }
    }
    return delivered;
  }

  private async deliverWebhook(hook: NamedWebhook): Promise<number> {
    const { store } = this.options;
    const claims = await store.claimNotifications(hook.name, { limit: CLAIM_LIMIT, leaseMs: LEASE_MS });
    if (claims.length === 0) return 0;
    const batches = claims.length > (this.options.summarizeAbove ?? 3) ? [claims] : claims.map((claim) => [claim]);
    let delivered = 0;
    for (const [i, batch] of batches.entries()) {
      const rest = batches.slice(i).flat();
      const slot = await store.countInWindow(`notify-rate:${hook.name}`, { windowMs: RATE_WINDOW_MS, limit: hook.maxPerMinute });
      if (!slot.counted) {
        // Over the webhook's rate: everything left waits for room, gathering what comes meanwhile (a summary when enough).
        await store.retryNotifications(rest, { delayMs: slot.retryAfterMs, lastError: null, isAttempt: false });
        break;
      }
      const sent = await this.send(hook, deliveryOf(batch));
      if (sent.ok) {
        await store.completeNotifications(batch);
        delivered += batch.length;
        continue;
      }
      await this.failed(hook, batch, rest.slice(batch.length), sent);
      break;
    }
    return delivered;
  }

  /** Backs a failed batch off (or drops what is too old) and defers the rest of the claim with it. */
  private async failed(hook: NamedWebhook, batch: ClaimedNotification[], rest: ClaimedNotification[], sent: Extract<Sent, { ok: false }>): Promise<void> {
    const { store } = this.options;
    const attempts = Math.max(...batch.map((c) => c.attempts));
    const base = this.options.retryBaseMs ?? 5_000;
    const backoff = Math.min(this.options.maxRetryMs ?? 600_000, base * 2 ** attempts);
    const delayMs = Math.max(sent.retryAfterMs ?? 0, Math.round(backoff / 2 + Math.random() * (backoff / 2)));
    const oldest = Math.min(...batch.map((c) => c.createdAt));
    const tooOld = batch.filter((c) => c.ageMs > (this.options.maxAgeMs ?? 24 * 3_600_000));
    if (tooOld.length > 0) {
      await store.completeNotifications(tooOld);
      this.log(hook).error('notifications dropped: undelivered for too long', { count: tooOld.length, error: sent.error });
    }
    await store.retryNotifications(batch.filter((c) => !tooOld.includes(c)), { delayMs, lastError: sent.error, isAttempt: true });
    await store.retryNotifications(rest, { delayMs, lastError: null, isAttempt: false });
    this.pausedUntil.set(hook.name, Date.now() + delayMs);
    this.log(hook).warn('notification delivery failed; retrying', { error: sent.error, attempts: attempts + 1, retryInMs: delayMs, waiting: batch.length + rest.length, since: new Date(oldest).toISOString() });
  }

  /** POSTs one delivery, signed; never follows a redirect (the signature would travel to another host). */
  private async send(hook: NamedWebhook, delivery: Delivery): Promise<Sent> {
    const body = renderBody(delivery, hook.format);
    const timestamp = Math.floor((this.options.now ?? Date.now)() / 1000);
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': 'scim-bridge',
      [DELIVERY_HEADER]: delivery.id,
      [EVENT_HEADER]: delivery.kind,
      [TIMESTAMP_HEADER]: String(timestamp),
      ...(hook.secret ? { [SIGNATURE_HEADER]: signBody(hook.secret, timestamp, body) } : {}),
    };
    try {
      const response = await request(hook.url, {
        method: 'POST',
        headers,
        body,
        headersTimeout: this.timeoutMs(),
        bodyTimeout: this.timeoutMs(),
        signal: AbortSignal.any([this.abort.signal, AbortSignal.timeout(this.timeoutMs())]),
      });
      await response.body.dump();
      if (response.statusCode >= 200 && response.statusCode < 300) {
        this.log(hook).info('notification delivered', { kind: delivery.kind, delivery: delivery.id, status: response.statusCode });
        return { ok: true };
      }
      const retryAfterMs = retryAfter(response.headers['retry-after']);
      return { ok: false, error: `the receiver answered HTTP ${response.statusCode}`, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) };
    } catch (err) {
      // undici's messages name the host, never the path or query.
      const code = (err as { code?: unknown }).code;
      return { ok: false, error: `no answer from the receiver (${typeof code === 'string' ? code : err instanceof Error ? err.name : 'error'})` };
    }
  }

  private timeoutMs(): number {
    return this.options.timeoutMs ?? 10_000;
  }

  private log(hook: NamedWebhook): Logger {
    return this.options.logger.child({ component: 'notify', webhook: hook.name, receiver: redactedUrl(hook.url, hook.format) });
  }
}

/** One event as it is, or a summary of several. */
function deliveryOf(batch: readonly ClaimedNotification[]): Delivery {
  const events = batch.map((claim) => claim.event as unknown as QueuedEvent);
  if (events.length === 1) return singleDelivery(events[0] as QueuedEvent);
  const id = createHash('sha256').update(events.map((e) => e.id).sort().join(',')).digest('hex').slice(0, 32);
  return summaryDelivery(`summary-${id}`, events, Math.max(...events.map((e) => e.at)));
}

/** Retry-After in seconds (RFC 9110, 10.2.3); HTTP dates are taken as no hint. */
function retryAfter(value: string | string[] | undefined): number | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (text === undefined || !/^\d{1,6}$/.test(text.trim())) return undefined;
  return Math.min(3_600_000, Number(text.trim()) * 1000);
}

/**
 * A receiver URL fit for a log line: no credentials, no query (it may hold a token), and for
 * Slack no path either (an incoming webhook's path is its secret).
 */
export function redactedUrl(url: string, format: 'generic' | 'slack' = 'generic'): string {
  try {
    const parsed = new URL(url);
    if (format === 'slack') return `${parsed.origin}/[redacted]`;
    return `${parsed.origin}${parsed.pathname}${parsed.search === '' ? '' : '?[redacted]'}`;
  } catch {
    return '[invalid URL]';
  }
}
