import type { TargetRole } from '../types.js';

/**
 * Redis Cloud's account roles as an IdP may assign them, highest first, with what each grants
 * (Redis Cloud's access-management docs, the roles table). The list is the API's own enum
 * (`AccountUserUpdateRequest.role`, Redis Cloud's OpenAPI document): no call is needed.
 */
export const redisCloudRoleCatalog: readonly TargetRole[] = [
  { id: 'Owner', displayName: 'Owner', description: 'Everything, including access management and API keys' },
  { id: 'Manager', displayName: 'Manager', description: 'Subscription settings' },
  { id: 'Member', displayName: 'Member', description: 'Database changes that do not affect cost' },
  { id: 'Viewer', displayName: 'Viewer', description: 'Read-only, database secrets included' },
  { id: 'Billing Admin', displayName: 'Billing Admin', description: 'Billing only' },
  { id: 'Logs Viewer (API use only)', displayName: 'Logs Viewer', description: 'The API\'s GET /logs only, no console access' },
];
