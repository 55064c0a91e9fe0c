import type { ConnectorDefinition } from '../definition.js';
import { createYardstikConnector, yardstikCapabilities } from './connector.js';
import { yardstikTargetSchema, type YardstikTarget } from './schemas.js';
import { createYardstikSimulator, type YardstikSimulatorOptions } from './simulator.js';

/** The registry entry of the Yardstik connector. */
export const definition: ConnectorDefinition<YardstikTarget, YardstikSimulatorOptions> = {
  type: 'yardstik',
  targetSchema: yardstikTargetSchema,
  capabilities: yardstikCapabilities,
  secretFields: ['apiKey'],
  createConnector: createYardstikConnector,
  createSimulator: createYardstikSimulator,
};
