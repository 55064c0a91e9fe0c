import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCliEnv, type CliEnv } from './cli-env.js';

/** `scim-bridge sync` queues what needs a person in the store, like a running bridge; `serve` delivers it. */

describe('scim-bridge sync with notify', () => {
  let env: CliEnv;
  beforeAll(async () => {
    env = await startCliEnv({
      types: ['yardstik'],
      // Nobody listens at the target: a change older than maxRetryAgeMs then fails for good.
      deadTargets: true,
      connection: { sync: { maxRetryAgeMs: 1_000, inlineWaitMs: 0 } },
      notify: { webhooks: [{ name: 'ops', url: 'http://127.0.0.1:9/hook?token=t', secret: 'cli-webhook-secret-0123', events: ['failed'] }] },
    });
  });
  afterAll(() => env.close());

  it('queues a failed event for the webhook that asked for it', async () => {
    await env.createUser('yardstik', 'gone@example.com');
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    await env.run('sync', '--connection', 'yardstik');
    const [state] = await env.store.listSyncStates('yardstik');
    expect(state?.status).toBe('failed');
    expect(await env.store.notificationStats()).toMatchObject([{ webhook: 'ops', pending: 1 }]);
    const [queued] = await env.store.claimNotifications('ops', { limit: 1, leaseMs: 1_000 });
    expect(queued?.event).toMatchObject({ kind: 'failed', connection: 'yardstik', userName: 'gone@example.com' });
  });
});
