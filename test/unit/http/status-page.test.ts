import express from 'express';
import supertest from 'supertest';
import { describe, expect, it } from 'vitest';
import { escapeHtml, statusPageHandler } from '../../../src/http/status-page.js';
import type { StatusReport } from '../../../src/observability/status-report.js';

/** The status page's last line of defence: configured secrets are blanked before HTML escaping. */

function reportShowing(identity: string, problem: string): StatusReport {
  return {
    generatedAt: 0,
    version: '1.0.0',
    store: 'sqlite x.db',
    connections: [
      {
        name: 'redis-enterprise',
        type: 'redis-enterprise',
        mode: 'eventual',
        drift: 'repair',
        access: { connection: 'redis-enterprise', ok: false, identity, problems: [problem], checkedAt: 0, ms: 1 },
        summary: null,
        queue: null,
        held: [],
        reconcile: null,
        unmanaged: null,
        recentErrors: [],
      },
    ],
  };
}

async function page(report: StatusReport, secrets: string[]): Promise<string> {
  const app = express().get('/status', statusPageHandler({ collect: async () => report, secrets }));
  return (await supertest(app).get('/status').expect(200)).text;
}

describe('status page redaction', () => {
  it('blanks a secret holding &<>"\' characters, which HTML escaping would otherwise hide from the check', async () => {
    const secret = `p&ss<w>rd"it's-9f3Kq`;
    const html = await page(reportShowing('admin@example.com', `the target echoed ${secret} back`), [secret]);
    expect(html).not.toContain(escapeHtml(secret));
    expect(html).not.toContain(secret);
    expect(html).toContain('the target echoed [redacted] back');
  });

  it('does not mangle ordinary text that contains a short configured secret', async () => {
    const html = await page(reportShowing('admin@sandbox.local', 'fine'), ['sandbox']);
    expect(html).toContain('admin@sandbox.local');
    expect(html).not.toContain('[redacted]');
  });
});
