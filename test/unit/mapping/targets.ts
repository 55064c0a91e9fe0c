import { connectorRegistry } from '../../../src/connectors/registry.js';
import type { ConnectorType } from '../../../src/connectors/types.js';
import type { MappingTarget } from '../../../src/mapping/roles.js';

/** The role model of a shipped connector type, as `src/sync/build.ts` hands it to the mapping layer. */
export const targetOf = (type: ConnectorType): MappingTarget => ({ type, capabilities: connectorRegistry[type].capabilities });
