import type { Store } from './store.js';

/**
 * What the SCIM layer reads and writes: the directory part of the store. Strict mode wraps it
 * (`src/sync/synced-directory.ts`) so a write reaches the target before it is stored; both sides
 * import the type from here, below them, so neither imports the other against the data flow.
 */
export type Directory = Pick<
  Store,
  | 'createUser'
  | 'getUser'
  | 'replaceUser'
  | 'deleteUser'
  | 'listUsers'
  | 'createGroup'
  | 'getGroup'
  | 'replaceGroup'
  | 'patchGroup'
  | 'deleteGroup'
  | 'listGroups'
  | 'groupsOfUsers'
  | 'getSyncStates'
>;
