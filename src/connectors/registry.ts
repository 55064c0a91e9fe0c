import type { ConnectorDefinition } from './definition.js';
import type { ConnectorType } from './types.js';
import { definition as paradime } from './paradime/index.js';
import { definition as redisCloud } from './redis-cloud/index.js';
import { definition as redisEnterprise } from './redis-enterprise/index.js';
import { definition as yardstik } from './yardstik/index.js';

/** The only place the core learns which targets exist: one line per connector type. */
export const connectorRegistry: Record<ConnectorType, ConnectorDefinition> = {
  'redis-cloud': redisCloud as unknown as ConnectorDefinition,
  'redis-enterprise': redisEnterprise as unknown as ConnectorDefinition,
  yardstik: yardstik as unknown as ConnectorDefinition,
  paradime: paradime as unknown as ConnectorDefinition,
};

/** The definition of a connector type. */
export function connectorDefinition(type: ConnectorType): ConnectorDefinition {
  return connectorRegistry[type];
}
