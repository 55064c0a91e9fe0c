import type { ConnectorDefinition } from '../definition.js';
import { createParadimeConnector, paradimeCapabilities } from './connector.js';
import { paradimeTargetSchema, type ParadimeTarget } from './schemas.js';
import { createParadimeSimulator } from './simulator.js';

/** The registry entry of the `paradime` connector type. */
export const definition: ConnectorDefinition<ParadimeTarget> = {
  type: 'paradime',
  targetSchema: paradimeTargetSchema,
  capabilities: paradimeCapabilities,
  secretFields: ['apiKey', 'apiSecret', 'bearerToken'],
  createConnector: createParadimeConnector,
  createSimulator: createParadimeSimulator,
};
