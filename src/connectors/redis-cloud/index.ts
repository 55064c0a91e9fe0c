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
  // Only one task per account runs at a time ("API request lifecycle"); the account key (x-api-key) names the account, whoever's user key writes.
  serialWritesScope: (target) => `${new URL(target.url).href.replace(/\/+$/, '')} ${target.apiKey}`,
  createConnector: createRedisCloudConnector,
  createSimulator: createRedisCloudSimulator,
};
