import { describe, expect, it } from 'vitest';
import type { UserRecord } from '../../../src/directory/model.js';
import { renderUser } from '../../../src/scim/resources.js';

describe('renderUser', () => {
  const record = (attributes: Record<string, unknown>): UserRecord => ({
    id: 'u1', userName: 'a@example.com', externalId: null, active: true, attributes, version: 2, created: 0, lastModified: 0,
  });

  it('keeps stored attributes except those the record owns, whatever their case', () => {
    const body = renderUser(record({ displayName: 'A', UserName: 'stale@example.com', ID: 'stale', nickName: 'a' }), 'https://b/scim/v2/c', [], undefined);
    expect(body).toMatchObject({ id: 'u1', userName: 'a@example.com', displayName: 'A', nickName: 'a' });
    expect(Object.keys(body)).not.toContain('UserName');
    expect(Object.keys(body)).not.toContain('ID');
  });

  it('renders a stored `__proto__` key as a plain key, never as the prototype', () => {
    const attributes = JSON.parse('{"displayName":"A","__proto__":{"isAdmin":true}}') as Record<string, unknown>;
    const body = renderUser(record(attributes), 'https://b/scim/v2/c', [], undefined);
    expect((body as { isAdmin?: unknown }).isAdmin).toBeUndefined();
    expect(JSON.parse(JSON.stringify(body)).__proto__).toEqual({ isAdmin: true });
  });
});
