import { randomUUID } from 'node:crypto';
import type { NotifyEventKind } from '../config/notify-schema.js';
import type { NotificationInput, Store } from '../directory/store.js';
import type { Logger } from '../logging/logger.js';
import { createRedactor } from '../logging/redact.js';
import type { SyncEvent, SyncNotifier } from '../sync/notifier.js';

/** What the notifier needs to know of a webhook. */
export interface WebhookSubscription {
  name: string;
  events: readonly NotifyEventKind[];
}

/** Options of {@link createWebhookNotifier}. */
export interface WebhookNotifierOptions {
  store: Store;
  webhooks: readonly WebhookSubscription[];
  logger: Logger;
  /** Configured secrets: blanked in events before they are queued (an error message may quote one). */
  secrets?: readonly string[];
  /** Called once events are queued (the dispatcher may deliver at once). */
  onQueued?: () => void;
}

/**
 * The notifier the sync framework is handed: each event goes into the store's notification
 * outbox, one row per webhook that wants its kind, before emit resolves (or, through `rowsOf`,
 * in the caller's own transaction); the dispatcher delivers from there. Store trouble is logged
 * (error) and never fails the caller's work.
 */
export function createWebhookNotifier(options: WebhookNotifierOptions): SyncNotifier {
  const redactor = createRedactor(options.secrets ?? []);
  const log = options.logger.child({ component: 'notify' });
  const rowsOf = (event: SyncEvent): NotificationInput[] => {
    const hooks = options.webhooks.filter((hook) => hook.events.includes(event.kind));
    if (hooks.length === 0) return [];
    const id = randomUUID();
    const queued = { ...(redactor.value(event) as SyncEvent), id };
    return hooks.map((hook) => ({ id: `${hook.name}:${id}`, webhook: hook.name, event: queued }));
  };
  return {
    rowsOf,
    queued: () => options.onQueued?.(),
    async emit(event: SyncEvent): Promise<void> {
      const rows = rowsOf(event);
      if (rows.length === 0) return;
      try {
        await options.store.enqueueNotifications(rows);
        options.onQueued?.();
      } catch (err) {
        log.error('cannot queue a notification', { kind: event.kind, connection: event.connection, userId: event.userId, error: err instanceof Error ? err.message : String(err) });
      }
    },
  };
}
