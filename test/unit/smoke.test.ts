import { describe, expect, test } from '@jest/globals';
import { serviceKeyString } from '../../src/model/types.js';
describe('model', () => {
  test('service key string', () => {
    expect(serviceKeyString({ protocol: 'tcp', addr: { family: 'inet6', ip: '2001:db8::1' }, port: 80 })).toBe('tcp:[2001:db8::1]:80');
  });
});
