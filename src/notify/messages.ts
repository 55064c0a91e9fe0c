import type { SyncEvent, SyncEventKind } from '../sync/notifier.js';

/**
 * What a webhook receives: the event as JSON (format `generic`) or Slack's incoming-webhook
 * body `{ "text": ... }` (format `slack`). Several events due at once become one summary with
 * counts per connection and kind.
 */

/** An event as queued: the sync event and its id. */
export type QueuedEvent = SyncEvent & { id: string };

/** A delivery: its id, kind (an event kind or `summary`) and both renderings. */
export interface Delivery {
  id: string;
  kind: SyncEventKind | 'summary';
  generic: Record<string, unknown>;
  text: string;
}

const MAX_SUMMARY_EVENTS = 20;

const who = (event: QueuedEvent): string => event.userName ?? event.userId ?? 'a user';
const codeOf = (event: QueuedEvent): string => (event.code ? ` (${event.code})` : '');

/** One sentence for one event. */
export function eventText(event: QueuedEvent): string {
  const where = `connection ${event.connection}`;
  switch (event.kind) {
    case 'failed':
      return `${who(event)} failed in ${where}: ${event.message}${codeOf(event)}`;
    case 'unsupported':
      return `${who(event)} in ${where} needs a change the target cannot make: ${event.message}`;
    case 'held':
      return `Removal of ${who(event)} held in ${where}: ${event.message}`;
    case 'drift':
      return `Drift in ${where}: ${event.message}`;
    case 'target-unreachable':
      return `The target of ${where} is unreachable: ${event.message}`;
  }
}

/** The generic JSON of one event. */
function genericOf(event: QueuedEvent): Record<string, unknown> {
  return {
    id: event.id,
    type: event.kind,
    connection: event.connection,
    at: new Date(event.at).toISOString(),
    ...(event.userId ? { user: { id: event.userId, ...(event.userName ? { userName: event.userName } : {}) } } : {}),
    ...(event.code ? { code: event.code } : {}),
    message: event.message,
    ...(event.requestIds && event.requestIds.length > 0 ? { requestIds: event.requestIds } : {}),
    ...(event.details ? { details: event.details } : {}),
    text: eventText(event),
  };
}

/** The delivery of one event. */
export function singleDelivery(event: QueuedEvent): Delivery {
  return { id: event.id, kind: event.kind, generic: genericOf(event), text: eventText(event) };
}

const phrases: Record<SyncEventKind, (n: number) => string> = {
  failed: (n) => `${n} ${n === 1 ? 'user' : 'users'} failed`,
  unsupported: (n) => `${n} ${n === 1 ? 'user needs' : 'users need'} a change the target cannot make`,
  held: (n) => `${n} ${n === 1 ? 'removal' : 'removals'} held by the mass-deprovisioning guard`,
  drift: (n) => `${n} drift ${n === 1 ? 'report' : 'reports'}`,
  'target-unreachable': (n) => `${n} target access ${n === 1 ? 'failure' : 'failures'}`,
};
const kindOrder: readonly SyncEventKind[] = ['failed', 'held', 'unsupported', 'target-unreachable', 'drift'];

/** "in the last minute", "in the last 7 minutes". */
function span(since: number, until: number): string {
  const minutes = Math.max(1, Math.ceil((until - since) / 60_000));
  return minutes === 1 ? 'in the last minute' : `in the last ${minutes} minutes`;
}

/** One summary of several events: "37 users failed in connection okta-redis in the last minute". */
export function summaryDelivery(id: string, events: readonly QueuedEvent[], until: number): Delivery {
  const byConnection = new Map<string, Map<SyncEventKind, number>>();
  const counts: Partial<Record<SyncEventKind, number>> = {};
  for (const event of events) {
    const kinds = byConnection.get(event.connection) ?? new Map<SyncEventKind, number>();
    kinds.set(event.kind, (kinds.get(event.kind) ?? 0) + 1);
    byConnection.set(event.connection, kinds);
    counts[event.kind] = (counts[event.kind] ?? 0) + 1;
  }
  const since = Math.min(...events.map((e) => e.at));
  const sentences = [...byConnection].map(([connection, kinds]) => {
    const parts = kindOrder.filter((k) => kinds.has(k)).map((k) => phrases[k](kinds.get(k) as number));
    return `${parts.join(', ')} in connection ${connection}`;
  });
  const text = `${sentences.join('; ')} ${span(since, Math.max(until, since))}`;
  const connections = Object.fromEntries([...byConnection].map(([name, kinds]) => [name, Object.fromEntries(kinds)]));
  return {
    id,
    kind: 'summary',
    text,
    generic: {
      id,
      type: 'summary',
      since: new Date(since).toISOString(),
      until: new Date(until).toISOString(),
      total: events.length,
      counts,
      connections,
      // The first events in full; the rest are in the bridge's logs and audit (`scim-bridge audit`).
      events: events.slice(0, MAX_SUMMARY_EVENTS).map(genericOf),
      text,
    },
  };
}

/** Slack's mrkdwn treats &, < and > as control characters (api.slack.com/reference/surfaces/formatting#escaping). */
function slackEscape(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

/** The body a webhook of this format receives. */
export function renderBody(delivery: Delivery, format: 'generic' | 'slack'): string {
  return JSON.stringify(format === 'slack' ? { text: slackEscape(`scim-bridge: ${delivery.text}`) } : delivery.generic);
}
