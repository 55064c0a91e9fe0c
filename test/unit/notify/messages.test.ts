import { describe, expect, it } from 'vitest';
import { redactedUrl } from '../../../src/notify/dispatcher.js';
import { eventText, renderBody, summaryDelivery, type QueuedEvent } from '../../../src/notify/messages.js';
import { signatureProblem, signBody } from '../../../src/notify/signature.js';

const event = (kind: QueuedEvent['kind'], connection: string, at: number, extra: Partial<QueuedEvent> = {}): QueuedEvent => ({
  id: `${kind}-${at}`, kind, connection, at, userId: 'u1', userName: 'ann@example.com', code: 'X', message: 'why', ...extra,
});

describe('notification messages', () => {
  it('says in one sentence what happened, per kind', () => {
    expect(eventText(event('failed', 'c', 0, { code: 'TARGET_AUTH', message: 'the key was refused' }))).toBe('ann@example.com failed in connection c: the key was refused (TARGET_AUTH)');
    expect(eventText(event('held', 'c', 0, { message: 'guard' }))).toBe('Removal of ann@example.com held in connection c: guard');
    expect(eventText(event('target-unreachable', 'c', 0, { message: 'connect ECONNREFUSED' }))).toBe('The target of connection c is unreachable: connect ECONNREFUSED');
  });

  it('counts a storm per connection and kind, over the minutes it spans', () => {
    const events = [
      ...Array.from({ length: 37 }, (_, i) => event('failed', 'x', 1_000 + i)),
      event('unsupported', 'x', 2_000), event('held', 'y', 3_000), event('held', 'y', 4_000),
    ];
    const summary = summaryDelivery('s1', events, 1_000 + 6 * 60_000);
    expect(summary.text).toBe('37 users failed, 1 user needs a change the target cannot make in connection x; 2 removals held by the mass-deprovisioning guard in connection y in the last 6 minutes');
    expect(summary.generic).toMatchObject({ total: 40, counts: { failed: 37, unsupported: 1, held: 2 }, connections: { x: { failed: 37, unsupported: 1 }, y: { held: 2 } } });
    expect(summaryDelivery('s2', events.slice(0, 37), 1_036).text).toBe('37 users failed in connection x in the last minute');
    expect(JSON.parse(renderBody(summary, 'slack'))).toEqual({ text: `scim-bridge: ${summary.text}` });
  });

  it('signs <timestamp>.<body> and accepts any of several signatures (secret rotation)', () => {
    const body = '{"a":1}';
    // HMAC-SHA256("k".repeat(16), "1700000000.{"a":1}"), computed independently with `openssl dgst -sha256 -hmac`.
    expect(signBody('k'.repeat(16), 1_700_000_000, body)).toBe('v1=7a52fb5d2d81ce8e61252d6ce065b363829842705645168286ce6ca58c7d4bbd');
    const signature = `v1=deadbeef, ${signBody('new-secret-0123456', 1_700_000_000, body)}`;
    expect(signatureProblem({ secret: 'new-secret-0123456', body, timestamp: '1700000000', signature, now: 1_700_000_100_000 })).toBeNull();
    expect(signatureProblem({ secret: 'new-secret-0123456', body, timestamp: '1700000000', signature, now: 1_700_000_301_000 })).toMatch(/tolerance/);
    expect(signatureProblem({ secret: 'new-secret-0123456', body, timestamp: undefined, signature })).toMatch(/timestamp/);
  });

  it('keeps tokens out of receiver URLs in logs: the query always, and a Slack path', () => {
    expect(redactedUrl('https://user:pw@hooks.example.com/in/scim?token=abc')).toBe('https://hooks.example.com/in/scim?[redacted]');
    expect(redactedUrl('https://hooks.slack.com/services/T0/B0/XYZ', 'slack')).toBe('https://hooks.slack.com/[redacted]');
  });
});
