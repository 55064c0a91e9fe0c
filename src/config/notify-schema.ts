import { z } from 'zod';

/**
 * The `notify` block: webhooks told about what needs a person (docs/notifications.md). Each
 * event is signed with the webhook's secret (HMAC-SHA256); the URL may carry a token of its own
 * (Slack's incoming webhooks keep theirs in the path), so logs show neither its path nor its query.
 */

/** Events a webhook can ask for. */
export const notifyEventKinds = ['held', 'failed', 'unsupported', 'drift', 'target-unreachable'] as const;

/** Webhook names appear in logs and metrics and key the outbox rows. */
const webhookName = z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/i, { error: 'webhook names use letters, digits and "-"' });

const webhookUrl = z.string({ error: 'expected an http:// or https:// URL' }).superRefine((value, ctx) => {
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    // The value may hold a token: name the mistake, not the value.
    ctx.addIssue({ code: 'custom', message: 'expected an http:// or https:// URL (the value is not shown: it may hold a token)' });
    return;
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    ctx.addIssue({ code: 'custom', message: `expected an http:// or https:// URL, not ${parsed.protocol}//` });
  }
});

/** One webhook. */
export const webhookSchema = z
  .object({
    /** Names the webhook in logs and in the outbox; defaults to webhook-<position> (1-based). */
    name: webhookName.optional(),
    url: webhookUrl,
    /** What to send; all events when omitted. */
    events: z.array(z.enum(notifyEventKinds, { error: `expected one of ${notifyEventKinds.join(', ')}` })).min(1, { error: 'list at least one event' }).default([...notifyEventKinds]),
    /** Signs every body (HMAC-SHA256); required with the generic format, optional for Slack, which ignores signatures. */
    secret: z.string({ error: 'expected a string' }).min(16, { error: 'a webhook secret must be at least 16 characters' }).optional(),
    /** `generic`: the event as JSON; `slack`: Slack's incoming-webhook body, `{ "text": ... }`. */
    format: z.enum(['generic', 'slack']).default('generic'),
    /** Deliveries per minute; what arrives beyond goes out as one summary. */
    maxPerMinute: z.number().int().min(1).max(600).default(6),
  })
  .strict()
  .superRefine((hook, ctx) => {
    if (hook.format === 'generic' && hook.secret === undefined) {
      ctx.addIssue({ code: 'custom', path: ['secret'], message: 'required with format generic: a random string of at least 16 characters, e.g. ${NOTIFY_SECRET}' });
    }
  });

/** The whole block. */
export const notifySchema = z
  .object({ webhooks: z.array(webhookSchema).min(1, { error: 'list at least one webhook' }) })
  .strict()
  .superRefine((notify, ctx) => {
    const seen = new Set<string>();
    notify.webhooks.forEach((hook, i) => {
      const name = hook.name ?? `webhook-${i + 1}`;
      if (seen.has(name)) ctx.addIssue({ code: 'custom', path: ['webhooks', i, 'name'], message: `the name ${name} is used twice` });
      seen.add(name);
    });
  });

export type NotifyConfig = z.infer<typeof notifySchema>;
export type WebhookConfig = z.infer<typeof webhookSchema>;
export type NotifyEventKind = (typeof notifyEventKinds)[number];

/** The webhooks with their names resolved. */
export function namedWebhooks(notify: NotifyConfig | undefined): (WebhookConfig & { name: string })[] {
  return (notify?.webhooks ?? []).map((hook, i) => ({ ...hook, name: hook.name ?? `webhook-${i + 1}` }));
}
