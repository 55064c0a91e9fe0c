import type { ConnectorDefinition } from '../definition.js';
import { createRedisEnterpriseConnector, redisEnterpriseCapabilities } from './connector.js';
import { redisEnterpriseTargetSchema, type RedisEnterpriseTarget } from './schemas.js';
import { createRedisEnterpriseSimulator, type RedisEnterpriseSimulatorOptions } from './simulator.js';

/** The registry entry of the `redis-enterprise` connector type. */
export const definition: ConnectorDefinition<RedisEnterpriseTarget, RedisEnterpriseSimulatorOptions> = {
  type: 'redis-enterprise',
  targetSchema: redisEnterpriseTargetSchema,
  capabilities: redisEnterpriseCapabilities,
  secretFields: ['password'],
  createConnector: createRedisEnterpriseConnector,
  createSimulator: createRedisEnterpriseSimulator,
};
