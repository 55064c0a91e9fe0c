import type { RequestHandler } from 'express';
import { createRedactor } from '../logging/redact.js';
import type { ConnectionStatus, StatusReport } from '../observability/status-report.js';

/**
 * The status page: server-rendered HTML, readable without JavaScript (it refreshes itself with
 * a meta tag), every value escaped, and any configured secret blanked as a last line of defence:
 * in the report's data, before escaping (an escaped secret no longer matches its raw text).
 * Served with a CSP that allows no script at all.
 */

/** Escapes text for HTML content and attribute values. */
export function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const e = escapeHtml;

/** Builds the GET /status handler. */
export function statusPageHandler(options: { collect: () => Promise<StatusReport>; secrets: readonly string[] }): RequestHandler {
  const redactor = createRedactor(options.secrets);
  return async (_req, res, next) => {
    try {
      const html = renderStatusPage(redactor.value(await options.collect()) as StatusReport);
      res.setHeader('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'");
      res.setHeader('Cache-Control', 'no-store');
      res.setHeader('Referrer-Policy', 'no-referrer');
      res.setHeader('X-Content-Type-Options', 'nosniff');
      res.type('text/html; charset=utf-8').send(html);
    } catch (err) {
      next(err);
    }
  };
}

/** Renders the whole page. */
export function renderStatusPage(report: StatusReport): string {
  const problems = report.connections.filter((c) => !c.access.ok || (c.summary?.byStatus.failed ?? 0) > 0 || c.storeError).length;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="refresh" content="30"><title>scim-bridge status</title><style>${css}</style></head>
<body><header><h1>scim-bridge status</h1>
<p class="meta">version ${e(report.version)} · store ${e(report.store)} · generated ${time(report.generatedAt)} · refreshes every 30 s</p>
<p class="overall ${problems === 0 ? 'ok' : 'bad'}">${problems === 0 ? 'All connections healthy' : `${problems} of ${report.connections.length} connections need attention`}</p></header>
<main>${report.connections.map((c) => connectionSection(c, report.generatedAt)).join('\n')}</main></body></html>`;
}

function connectionSection(c: ConnectionStatus, now: number): string {
  return `<section id="connection-${e(c.name)}" class="connection">
<h2>${e(c.name)} <span class="type">${e(c.type)} · ${e(c.mode)} mode · drift: ${e(c.drift)}</span></h2>
${accessBlock(c)}
${c.storeError ? `<p class="bad">The store did not answer: ${e(c.storeError)}</p>` : `${countsBlock(c, now)}${heldBlock(c)}`}
${reconcileBlock(c)}
${unmanagedBlock(c)}
${errorsBlock(c)}
</section>`;
}

function accessBlock(c: ConnectionStatus): string {
  const who = c.access.identity ? ` as <code>${e(c.access.identity)}</code>` : '';
  const when = `checked ${time(c.access.checkedAt)} (${e(c.access.ms)} ms)`;
  if (c.access.ok) return `<p class="access ok"><strong>Target reachable</strong>${who}; credentials have the rights the bridge needs. <span class="meta">${when}</span></p>`;
  const list = c.access.problems.map((p) => `<li>${e(p)}</li>`).join('');
  return `<div class="access bad"><p><strong>Target problem</strong>${who}. <span class="meta">${when}</span></p><ul>${list}</ul></div>`;
}

function countsBlock(c: ConnectionStatus, now: number): string {
  const s = c.summary;
  if (!s) return '';
  const cells: [string, number, string][] = [
    ['SCIM users', s.users, ''],
    ['synced', s.byStatus.synced, 'ok'],
    ['pending', s.byStatus.pending, s.byStatus.pending > 0 ? 'warn' : ''],
    ['failed', s.byStatus.failed, s.byStatus.failed > 0 ? 'bad' : ''],
    ['unsupported', s.byStatus.unsupported, ''],
    ['held', s.byStatus.held, s.byStatus.held > 0 ? 'warn' : ''],
    ['managed accounts', s.managed, ''],
    ...(c.unmanaged ? [['unmanaged accounts', c.unmanaged.total, c.unmanaged.total > 0 ? 'warn' : ''] as [string, number, string]] : []),
  ];
  const oldestMs = c.queue?.oldestAgeMs ?? null;
  const oldest = oldestMs === null ? 'none waiting' : `oldest waiting ${duration(oldestMs)}`;
  const reasons = s.topErrors.length === 0 ? '' : `<h3>Top reasons</h3><table><thead><tr><th>code</th><th>message</th><th>users</th></tr></thead><tbody>${s.topErrors
    .map((t) => `<tr><td><code>${e(t.code)}</code></td><td>${e(t.message)}</td><td class="num">${e(t.count)}</td></tr>`)
    .join('')}</tbody></table>`;
  return `<dl class="counts">${cells.map(([label, n, cls]) => `<div class="${cls}"><dt>${e(label)}</dt><dd>${e(n)}</dd></div>`).join('')}</dl>
<p class="meta">Outbox: ${e(c.queue?.pending ?? 0)} jobs pending, ${e(c.queue?.held ?? 0)} held, ${e(c.queue?.failed ?? 0)} failed (waiting for their next try), ${e(oldest)} (as of ${time(now)}).</p>${reasons}`;
}

function heldBlock(c: ConnectionStatus): string {
  if (c.held.length === 0) return '';
  const rows = c.held.map((h) => `<tr><td>${e(h.userName ?? h.userId)}</td><td>${e(h.reason)}</td><td>${time(h.since)}</td></tr>`).join('');
  return `<h3>Held jobs</h3><p class="meta">Removals the mass-deprovisioning guard stopped; release them with <code>scim-bridge approve --connection ${e(c.name)}</code>.</p>
<table><thead><tr><th>user</th><th>why</th><th>since</th></tr></thead><tbody>${rows}</tbody></table>`;
}

function reconcileBlock(c: ConnectionStatus): string {
  const r = c.reconcile;
  if (!r) return '<p class="meta">Last reconcile: not run yet in this process.</p>';
  if (r.error) return `<p class="bad">Last reconcile ${time(r.at)} failed: ${e(r.error)}</p>`;
  if (r.skipped) return `<p class="meta">Last reconcile ${time(r.at)}: skipped (another replica held the lock).</p>`;
  const kinds = new Map<string, number>();
  for (const item of r.drift) kinds.set(item.kind, (kinds.get(item.kind) ?? 0) + 1);
  const found = kinds.size === 0 ? 'no drift' : [...kinds].map(([kind, n]) => `${n} ${kind}`).join(', ');
  return `<p>Last reconcile ${time(r.at)}: ${e(r.accounts)} target accounts, ${e(found)}, ${e(r.queued)} users queued.</p>`;
}

function unmanagedBlock(c: ConnectionStatus): string {
  const u = c.unmanaged;
  if (!u) return '';
  const what = u.policy === 'remove' ? 'they are removed through the mass-deprovisioning guard (<code>unmanaged: remove</code>)' : 'they are reported and left alone (<code>unmanaged: report</code>)';
  const head = `<h3>Accounts nobody manages</h3><p class="meta">${e(u.total)} target account(s) that no SCIM user stands behind, as of ${time(u.at)}; ${what}. Protected accounts are never listed.</p>`;
  if (u.accounts.length === 0) return head;
  const rows = u.accounts
    .map((a) => `<tr><td>${e(a.email)}</td><td>${e(a.role ?? '')}</td><td>${e(a.accountStatus)}</td><td>${e(a.action)}${a.note ? `: ${e(a.note)}` : ''}</td><td>${time(a.firstSeenAt)}</td></tr>`)
    .join('');
  const more = u.total > u.accounts.length ? `<p class="meta">${e(u.total - u.accounts.length)} more: <code>scim-bridge unmanaged --connection ${e(c.name)}</code></p>` : '';
  return `${head}<table class="unmanaged"><thead><tr><th>email</th><th>role</th><th>status</th><th>action</th><th>first seen</th></tr></thead><tbody>${rows}</tbody></table>${more}`;
}

function errorsBlock(c: ConnectionStatus): string {
  if (c.recentErrors.length === 0) return '<p class="meta">No recent errors.</p>';
  const rows = c.recentErrors
    .map((r) => `<tr><td>${time(r.at)}</td><td title="${e(r.userId)}">${e(r.userName ?? r.userId)}</td><td>${e(r.outcome)}</td><td><code>${e(r.code)}</code></td><td>${e(r.message)}</td></tr>`)
    .join('');
  return `<h3>Recent errors</h3><table class="errors"><thead><tr><th>when</th><th>user</th><th>state</th><th>code</th><th>message</th></tr></thead><tbody>${rows}</tbody></table>`;
}

function time(at: number): string {
  const iso = new Date(at).toISOString();
  return `<time datetime="${e(iso)}">${e(iso.slice(0, 19).replace('T', ' '))} UTC</time>`;
}

function duration(ms: number): string {
  if (ms < 1_000) return `${Math.round(ms)} ms`;
  if (ms < 120_000) return `${Math.round(ms / 1_000)} s`;
  if (ms < 7_200_000) return `${Math.round(ms / 60_000)} min`;
  return `${Math.round(ms / 3_600_000)} h`;
}

const css = `
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;background:#f5f6f8;color:#1d2330}
header{background:#1d2330;color:#fff;padding:16px 24px}h1{margin:0 0 4px;font-size:22px}
header .meta{color:#c5cad6}main{padding:16px 24px;display:grid;gap:16px}
.connection{background:#fff;border:1px solid #dde1e8;border-radius:8px;padding:12px 18px}
h2{margin:4px 0 8px;font-size:19px}h2 .type{font-weight:400;color:#5b6475;font-size:14px}h3{font-size:15px;margin:14px 0 6px}
.meta{color:#5b6475;font-size:13px}.overall{display:inline-block;padding:3px 10px;border-radius:12px;font-weight:600;margin:6px 0 0}
.overall.ok{background:#1f7a3d;color:#fff}.overall.bad{background:#b3261e;color:#fff}
.access{padding:8px 12px;border-radius:6px;margin:8px 0}.access.ok{background:#e6f4ea}.access.bad{background:#fce8e6}.access ul{margin:4px 0}
p.bad{color:#b3261e}
.counts{display:flex;flex-wrap:wrap;gap:8px;margin:10px 0}.counts div{border:1px solid #dde1e8;border-radius:6px;padding:6px 12px;min-width:90px}
.counts dt{font-size:12px;color:#5b6475}.counts dd{margin:0;font-size:20px;font-weight:600}
.counts .ok dd{color:#1f7a3d}.counts .warn dd{color:#a15c00}.counts .bad dd{color:#b3261e}
table{border-collapse:collapse;width:100%;font-size:13px}th,td{border-bottom:1px solid #e6e8ed;padding:4px 8px;text-align:left;vertical-align:top}
th{color:#5b6475;font-weight:600}td.num{text-align:right}code{font-size:12px;background:#f0f1f4;padding:1px 4px;border-radius:3px}`;
