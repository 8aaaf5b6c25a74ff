import { describe, expect, test } from '@jest/globals';
import { decode, encode } from '../../src/bpf/codec.js';
import { addrToWords, ipv6Text, ipv6Bytes, wordsToAddr } from '../../src/bpf/addr.js';
import { lb_real, lb_svc_key } from '../../src/bpf/generated/layout.js';

describe('codec', () => {
  test('round trip of a service key, bytes in network order', () => {
    const k = { addr: addrToWords({ family: 'inet', ip: '192.0.2.10' }), port: 80, proto: 6, family: 2 };
    const b = encode(lb_svc_key, k);
    expect(b.length).toBe(lb_svc_key.size);
    expect([...b.subarray(0, 4)]).toEqual([192, 0, 2, 10]);
    expect([...b.subarray(16, 18)]).toEqual([0, 80]);
    expect(decode(lb_svc_key, b)).toEqual({ ...k, addr: k.addr });
  });
  test('unset fields and padding are zero', () => {
    const b = encode(lb_real, { weight: 7 });
    expect(decode(lb_real, b).weight).toBe(7);
    expect(b.readUInt32LE(lb_real.fields.flags.offset)).toBe(0);
  });
});

describe('addresses', () => {
  test.each([
    ['2001:db8::10', '2001:db8::10'],
    ['2001:DB8:0:0:0:0:0:1', '2001:db8::1'],
    ['::', '::'],
    ['2001:db8:0:1:0:0:0:1', '2001:db8:0:1::1'],
    ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1'],
    ['::ffff:192.0.2.1', '::ffff:c000:201'],
  ])('IPv6 %s canonical %s', (inp, out) => {
    expect(ipv6Text(ipv6Bytes(inp))).toBe(out);
  });
  test('IPv4 in word 0 only', () => {
    expect(addrToWords({ family: 'inet', ip: '198.51.100.7' })).toEqual([0xc6336407, 0, 0, 0]);
    expect(wordsToAddr([0xc6336407, 0, 0, 0], 'inet').ip).toBe('198.51.100.7');
  });
  test('IPv6 round trip through words', () => {
    const a = { family: 'inet6' as const, ip: '2001:db8::11' };
    expect(wordsToAddr(addrToWords(a), 'inet6')).toEqual(a);
  });
  test('a bad address is refused', () => {
    expect(() => addrToWords({ family: 'inet', ip: '300.1.1.1' })).toThrow(RangeError);
  });
});
