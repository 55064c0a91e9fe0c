import type { NotificationInput } from '../directory/store.js';

/**
 * What the sync framework tells a person about, through a notifier the composition root hands
 * in (src/notify queues each event in the store and delivers it to webhooks): sync decides and
 * emits, it never calls out itself (data flows one way).
 */

/** The kinds of events (the `notify.webhooks[].events` of the configuration). */
export type SyncEventKind = 'held' | 'failed' | 'unsupported' | 'drift' | 'target-unreachable';

/** One outcome that needs a person. */
export interface SyncEvent {
  kind: SyncEventKind;
  connection: string;
  /** When it was decided (epoch ms). */
  at: number;
  /** The SCIM user it is about (held, failed, unsupported). */
  userId?: string;
  userName?: string;
  /** A stable error code (TARGET_AUTH, UNSUPPORTED_OPERATION, HELD, ...). */
  code?: string;
  /** What happened and, where known, what to do. */
  message: string;
  /** The SCIM requests behind it, for looking it up in the IdP's logs. */
  requestIds?: string[];
  /** Kind-specific detail (drift: the items found; target-unreachable: the problems). No secrets. */
  details?: Record<string, unknown>;
}

/** Takes events; never throws (a notifier that cannot queue logs its own trouble). */
export interface SyncNotifier {
  emit(event: SyncEvent): Promise<void>;
  /**
   * The outbox rows of an event (one per webhook that wants its kind, none when none does), for
   * a caller that queues them in the transaction of what caused them (the store's recordRun).
   */
  rowsOf(event: SyncEvent): NotificationInput[];
  /** Says rows from {@link rowsOf} were committed (the dispatcher may deliver at once). */
  queued(): void;
}

/** The notifier when nothing is configured. */
export const silentNotifier: SyncNotifier = { emit: () => Promise.resolve(), rowsOf: () => [], queued: () => undefined };
