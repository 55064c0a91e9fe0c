import { readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { connectorTypes, type ConnectorType } from '../../../src/connectors/types.js';
import { loadMappingFile } from '../../../src/mapping/load.js';
import type { DeprovisionPolicy } from '../../../src/mapping/types.js';
import { targetOf } from './targets.js';

const dir = path.resolve(import.meta.dirname, '../../../mappings');

describe('shipped mappings', () => {
  it('ships one file per connector type, and nothing else', () => {
    expect(readdirSync(dir).sort()).toEqual(connectorTypes.map((type) => `${type}.yaml`).sort());
  });

  const defaultRoles: Record<ConnectorType, string> = { 'redis-cloud': 'Viewer', 'redis-enterprise': 'db_viewer', yardstik: 'member', paradime: 'DEVELOPER' };
  // docs/architecture.md, "Deactivation, per target".
  const policies: Record<ConnectorType, [DeprovisionPolicy, DeprovisionPolicy]> = {
    'redis-cloud': [{ kind: 'delete' }, { kind: 'delete' }],
    'redis-enterprise': [{ kind: 'role', role: 'none' }, { kind: 'delete' }],
    yardstik: [{ kind: 'delete' }, { kind: 'delete' }],
    paradime: [{ kind: 'disable' }, { kind: 'disable' }],
  };

  it.each(connectorTypes)('mappings/%s.yaml loads for its type with the documented defaults', (type) => {
    const mapping = loadMappingFile(path.join(dir, `${type}.yaml`), targetOf(type));
    expect(mapping.type).toBe(type);
    expect(mapping.roles.default).toBe(defaultRoles[type]);
    expect(mapping.roles.rules.map((r) => r.kind)).toEqual(expect.arrayContaining(['group', 'attribute']));
    expect(mapping.roles.rules.some((r) => r.kind === 'attribute' && r.attribute.text === 'roles.value')).toBe(true);
    expect([mapping.deactivate, mapping.delete]).toEqual(policies[type]);
    expect(mapping.protected.emails).toEqual([]);
  });
});
