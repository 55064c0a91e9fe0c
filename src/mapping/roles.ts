import { formatRoleUids, parseRoleUids, type ConnectorCapabilities, type ConnectorType } from '../connectors/types.js';
import type { DeprovisionPolicy } from './types.js';

/**
 * Role names and deprovisioning policies of a mapping file, checked against the role model the
 * caller hands in (the target's static capabilities: `connectorRegistry[type].capabilities` in
 * `src/sync/build.ts`) and normalised to the target's spelling. The mapping layer never looks
 * connectors up itself: it stays pure, without simulators, HTTP servers or clients behind it.
 */

/** The target a mapping file is written for: its type and its role model. */
export interface MappingTarget {
  type: ConnectorType;
  capabilities: ConnectorCapabilities;
}

/** In `roles.default` and `roles.rules[].role`: no account at all (not a target role). */
export const noAccount = 'none';

/** A checked value, or the message that explains why it was refused. */
export type Checked<T> = { ok: true; value: T } | { ok: false; message: string };

/** How each target is named in messages. */
export const targetLabels: Record<ConnectorType, string> = {
  'redis-cloud': 'Redis Cloud',
  'redis-enterprise': 'Redis Enterprise',
  yardstik: 'Yardstik',
  paradime: 'Paradime',
};

// "Logs Viewer (API use only)" is the API's spelling of the console's "Logs Viewer" (Redis Cloud API, account users):
// a canonical role also answers to its name without a trailing parenthesised note.
const withoutNote = (role: string): string => role.replace(/\s*\([^)]*\)\s*$/, '').toLowerCase();

/** The values a role field accepts, for messages: `Owner, Member, ..., none`. */
function acceptedRoles(caps: ConnectorCapabilities, isNoneAllowed: boolean): string {
  const names = [...caps.roles];
  if (isNoneAllowed && !names.some((r) => r.toLowerCase() === noAccount)) names.push(noAccount);
  if (caps.acceptsRoleUids) names.push('role_uids:[…]');
  return names.join(', ');
}

/**
 * The canonical spelling of a role for a target. `isNoneAllowed`: `none` means "no account"
 * (roles.default and rule roles); in `role:<x>` policies `none` is only valid where it is the
 * target's own no-access role (Redis Enterprise).
 */
export function canonicalRole(target: MappingTarget, raw: string, isNoneAllowed: boolean): Checked<string> {
  const caps = target.capabilities;
  const text = raw.trim();
  const refused: Checked<string> = { ok: false, message: `"${text}" is not a ${targetLabels[target.type]} role (${acceptedRoles(caps, isNoneAllowed)})` };
  if (isNoneAllowed && text.toLowerCase() === noAccount) return { ok: true, value: noAccount };
  if (/^role_uids\s*:/i.test(text)) {
    const uids = parseRoleUids(`role_uids:${text.replace(/^role_uids\s*:/i, '').replace(/\s+/g, '')}`);
    if (!caps.acceptsRoleUids || uids === null) return refused;
    if (uids.length === 0) return { ok: false, message: 'role_uids needs at least one role uid' };
    return { ok: true, value: formatRoleUids([...new Set(uids)]) };
  }
  const wanted = text.toLowerCase();
  const found = caps.roles.find((r) => r.toLowerCase() === wanted) ?? caps.roles.find((r) => withoutNote(r) === wanted);
  return found === undefined ? refused : { ok: true, value: found };
}

/** The policies a target supports, for messages: `delete, role:<role> or keep`. */
function supportedPolicies(caps: ConnectorCapabilities): string {
  const names = [
    ...(caps.canDelete ? ['delete'] : []),
    ...(caps.deactivation === 'native' ? ['disable'] : []),
    ...(caps.isRoleMutable ? ['role:<role>'] : []),
    'keep',
  ];
  return `${names.slice(0, -1).join(', ')} or ${names[names.length - 1] ?? 'keep'}`;
}

/** Parses `delete | disable | keep | role:<role>` and checks the target can do it. */
export function parsePolicy(target: MappingTarget, raw: string): Checked<DeprovisionPolicy> {
  const caps = target.capabilities;
  const label = targetLabels[target.type];
  const text = raw.trim();
  const keyword = text.toLowerCase();
  const refuse = (why: string): Checked<DeprovisionPolicy> => ({ ok: false, message: `${why}: use ${supportedPolicies(caps)}` });
  if (keyword === 'keep') return { ok: true, value: { kind: 'keep' } };
  if (keyword === 'delete') return caps.canDelete ? { ok: true, value: { kind: 'delete' } } : refuse(`${label} cannot delete accounts`);
  if (keyword === 'disable') {
    return caps.deactivation === 'native' ? { ok: true, value: { kind: 'disable' } } : refuse(`${label} has no native disable`);
  }
  if (keyword.startsWith('role:')) {
    if (!caps.isRoleMutable) return refuse(`${label} cannot change roles`);
    const role = canonicalRole(target, text.slice('role:'.length), false);
    return role.ok ? { ok: true, value: { kind: 'role', role: role.value } } : role;
  }
  return { ok: false, message: `expected delete, disable, keep or role:<role>, got "${text}"` };
}

/** `delete`, `disable`, `keep`, `role:none`: the policy as a mapping file writes it. */
export function formatPolicy(policy: DeprovisionPolicy): string {
  return policy.kind === 'role' ? `role:${policy.role}` : policy.kind;
}
