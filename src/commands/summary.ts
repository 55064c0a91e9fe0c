import type { JobStats, Store } from '../directory/store.js';

/** Where each connection stands: the figures `status` shows and `sync` ends with. */

/** The standing of one connection. */
export interface ConnectionStatus {
  connection: string;
  type: string;
  mode: string;
  /** Live SCIM users. */
  users: number;
  synced: number;
  /** Waiting for (another) attempt; users without a sync state yet count here. */
  pending: number;
  failed: number;
  unsupported: number;
  /** Jobs held by the mass-deprovisioning guard (released by `scim-bridge approve`). */
  held: number;
  /**
   * Users deleted in the IdP whose sync state remains until their account is removed (a lower
   * bound): they are counted in synced, failed or held, not in `users`.
   */
  deleted: number;
  /** Accounts the bridge created or adopted that still exist. */
  managed: number;
  queue: { pending: number; held: number; failed: number; oldestAgeMs: number | null };
  /** The most frequent problems of failed and unsupported users. */
  topErrors: { code: string; message: string; count: number }[];
  /** Why jobs are held, with how many. */
  heldReasons: { reason: string; count: number }[];
  /** Target accounts no SCIM user stands behind at the last reconcile; null before the first. */
  unmanaged: number | null;
}

const HELD_SCAN = 10_000;

/** Reads the standing of each connection (one `jobStats` call for all). */
export async function readStatuses(store: Store, connections: readonly { name: string; type: string; mode: string }[]): Promise<ConnectionStatus[]> {
  const stats = await store.jobStats();
  const statuses: ConnectionStatus[] = [];
  for (const connection of connections) statuses.push(await readStatus(store, connection, stats.find((s) => s.connection === connection.name)));
  return statuses;
}

async function readStatus(store: Store, connection: { name: string; type: string; mode: string }, stats: JobStats | undefined): Promise<ConnectionStatus> {
  const summary = await store.syncSummary(connection.name);
  const { byStatus } = summary;
  const withState = Object.values(byStatus).reduce((sum, n) => sum + n, 0);
  // Sync states also exist for deleted users until their account is gone: both figures are lower bounds.
  const withoutState = Math.max(0, summary.users - withState);
  const deleted = Math.max(0, withState - summary.users);
  const held = await store.listJobs(connection.name, { held: true, limit: HELD_SCAN });
  const unmanaged = await store.getUnmanagedReport(connection.name, { limit: 0 });
  const reasons = new Map<string, number>();
  for (const job of held) reasons.set(job.heldReason ?? '', (reasons.get(job.heldReason ?? '') ?? 0) + 1);
  return {
    connection: connection.name,
    type: connection.type,
    mode: connection.mode,
    users: summary.users,
    synced: byStatus.synced,
    pending: byStatus.pending + withoutState,
    failed: byStatus.failed,
    unsupported: byStatus.unsupported,
    held: stats?.held ?? 0,
    deleted,
    managed: summary.managed,
    queue: { pending: stats?.pending ?? 0, held: stats?.held ?? 0, failed: stats?.failed ?? 0, oldestAgeMs: stats?.oldestAgeMs ?? null },
    topErrors: summary.topErrors,
    heldReasons: [...reasons].map(([reason, count]) => ({ reason, count })).sort((a, b) => b.count - a.count),
    unmanaged: unmanaged?.total ?? null,
  };
}

/** Whether anything still needs attention: pending, failed or held users. */
export function isUnsettled(status: ConnectionStatus): boolean {
  return status.pending > 0 || status.failed > 0 || status.held > 0;
}
