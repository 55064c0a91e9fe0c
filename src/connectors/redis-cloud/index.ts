import type { ConnectorDefinition } from '../definition.js';
import { createRedisCloudConnector, redisCloudCapabilities } from './connector.js';
import { redisCloudTargetSchema, type RedisCloudTarget } from './schemas.js';
import { createRedisCloudSimulator, type RedisCloudSimulatorOptions } from './simulator.js';

/** The registry entry of the `redis-cloud` connector type. */
export const definition: ConnectorDefinition<RedisCloudTarget, RedisCloudSimulatorOptions> = {
  type: 'redis-cloud',
  targetSchema: redisCloudTargetSchema,
  capabilities: redisCloudCapabilities,
  secretFields: ['apiKey', 'apiSecretKey'],
  createConnector: createRedisCloudConnector,
  createSimulator: createRedisCloudSimulator,
};
