import type { TargetRole } from '../types.js';
import { paradimeAccountTypes, type ParadimeAccountType } from './schemas.js';

/**
 * Paradime's account types as an IdP may assign them: the `UserAccountType` enum (Paradime's
 * Python SDK, `types.py`), highest first (the admin types, then the working ones). The API
 * describes none of them, so the roles carry no description.
 */
const order: readonly ParadimeAccountType[] = [
  'ADMIN',
  'WORKSPACE_ADMIN',
  'SECURITY_ADMIN',
  'WORKSPACE_SETTINGS_ADMIN',
  'BILLING_ADMIN',
  'DEVELOPER',
  'ANALYST',
  'BUSINESS',
  'SANDBOX_USER',
];

const label = (type: string): string => type.split('_').map((word) => word.charAt(0) + word.slice(1).toLowerCase()).join(' ');

/** The account types, highest first. */
export const paradimeRoleCatalog: readonly TargetRole[] = [...order, ...paradimeAccountTypes.filter((t) => !order.includes(t))].map((id) => ({ id, displayName: label(id) }));
