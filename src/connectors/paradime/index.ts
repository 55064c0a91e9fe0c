import type { ConnectorDefinition } from '../definition.js';
import { createParadimeConnector } from './connector.js';
import { paradimeTargetSchema, type ParadimeTarget } from './schemas.js';
import { createParadimeSimulator } from './simulator.js';

/** The registry entry of the `paradime` connector type. */
export const definition: ConnectorDefinition<ParadimeTarget> = {
  type: 'paradime',
  targetSchema: paradimeTargetSchema,
  secretFields: ['apiKey', 'apiSecret', 'bearerToken'],
  createConnector: createParadimeConnector,
  createSimulator: createParadimeSimulator,
};
