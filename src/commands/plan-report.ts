import { plural } from './context.js';
import type { ConnectionPlan, PlannedUser, PlanTotals } from './plan.js';

/** The readable form of `scim-bridge plan`: one block per user, then the totals of each connection. */

/** Renders every connection's plan. */
export function renderPlans(plans: readonly ConnectionPlan[]): string {
  const out: string[] = [];
  for (const plan of plans) {
    out.push(`${plan.connection} (${plan.type}): ${plural(plan.users.length, 'user')}\n`);
    for (const user of plan.users) out.push(renderUser(user));
    if (plan.error) out.push(`  ERROR ${plan.error.code}: ${plan.error.message}\n`);
    const assigned = plan.users.filter((u) => u.decision?.assigned && (u.plan?.steps.length ?? 0) > 0).map((u) => u.userName);
    if (assigned.length > 0) out.push(`  changed by roles assigned in the IdP: ${plural(assigned.length, 'user')} (${assigned.join(', ')})\n`);
    out.push(`  totals: ${renderTotals(plan.totals)}\n\n`);
  }
  out.push('dry run: nothing was written to any target; "scim-bridge sync" applies these plans\n');
  return out.join('');
}

function renderUser(user: PlannedUser): string {
  const marks = [user.deleted ? 'deleted in the IdP' : user.active ? null : 'inactive'].filter((m) => m !== null);
  const lines = [`  ${user.userName}${marks.length > 0 ? `  [${marks.join(', ')}]` : ''}\n`];
  if (user.error) return `${lines[0]}    error     ${user.error.code}: ${user.error.message}\n`;
  const { decision, account, plan } = user;
  if (decision) {
    const rule = decision.rule === null ? '' : ` (roles.rules[${decision.rule}]${decision.assigned ? ', assigned in the IdP' : ''})`;
    lines.push(`    decision  ${decision.kind}: ${decision.reason}${rule}\n`);
    for (const warning of decision.warnings ?? []) lines.push(`    warning   ${warning}\n`);
  }
  lines.push(`    account   ${account ? describeAccount(account) : 'none in the target'}\n`);
  if (plan) {
    // A converge plan's summary already says what the steps do; elsewhere it says why, so show what still runs.
    const detail = plan.steps.map((s) => s.detail).join('; ');
    const steps = plan.kind === 'converge' || plan.steps.length === 0 ? '' : plan.kind === 'held' ? ` (once approved: ${detail})` : ` (still done: ${detail})`;
    const kind = plan.kind === 'converge' ? '' : plan.kind === 'refused' ? `refused, ${plan.code ?? 'error'}: ` : `${plan.kind}: `;
    lines.push(`    plan      ${kind}${plan.summary}${steps}${plan.removal ? ' (removes access)' : ''}\n`);
  }
  return lines.join('');
}

function describeAccount(account: NonNullable<PlannedUser['account']>): string {
  const parts = [account.status, account.id === null ? 'no id yet' : `id ${account.id}`, account.email, `role ${account.role ?? 'unknown'}`];
  if (account.protection) parts.push(`protected by the target: ${account.protection}`);
  return parts.join(', ');
}

/** `2 creates, 1 update, 0 removals, 0 waits, 0 unsupported, 3 in sync`. */
export function renderTotals(totals: PlanTotals): string {
  const parts = [
    plural(totals.creates, 'create'),
    plural(totals.updates, 'update'),
    plural(totals.removals, 'removal'),
    plural(totals.waits, 'wait'),
    `${totals.unsupported} unsupported`,
    `${totals.inSync} in sync`,
  ];
  if (totals.protected > 0) parts.push(`${totals.protected} protected`);
  if (totals.refused > 0) parts.push(`${totals.refused} refused`);
  if (totals.held > 0) parts.push(`${totals.held} held`);
  if (totals.errors > 0) parts.push(plural(totals.errors, 'error'));
  return parts.join(', ');
}
