// The director's ICMP error limits from its sysctls (src/net/icmp-limits.ts): the
// kernel's formats, its defaults when a key is missing, one-line errors otherwise.
import { describe, expect, test } from '@jest/globals';
import { decode } from '../../src/bpf/codec.js';
import { lb_icmp_conf, lb_icmp_conf_flags as F } from '../../src/bpf/generated/layout.js';
import {
  ICMP_SYSCTLS, IcmpSysctlError, KERNEL_ICMP_LIMITS, decodeIcmpConf, describeIcmpLimits, encodeIcmpConf, icmpLimitsFrom, ratemaskHas,
} from '../../src/net/icmp-limits.js';

/** A fresh namespace's values, as /proc/sys prints them. */
const FRESH: Record<string, string> = {
  [ICMP_SYSCTLS.peerMsV4]: '1000',
  [ICMP_SYSCTLS.peerMsV6]: '100',
  [ICMP_SYSCTLS.msgsPerSec]: '1000',
  [ICMP_SYSCTLS.msgsBurst]: '50',
  [ICMP_SYSCTLS.ratemaskV4]: '6168',
  [ICMP_SYSCTLS.ratemaskV6]: '0-1,3-127',
};
const from = (over: Record<string, string | undefined>) => icmpLimitsFrom((k) => (k in over ? over[k] : FRESH[k]));

describe('ICMP limits from the sysctls', () => {
  test('a fresh namespace gives the kernel defaults', () => {
    expect(from({})).toEqual(KERNEL_ICMP_LIMITS);
  });

  test('values are taken as they are; a missing key (IPv6 off) is the default', () => {
    expect(from({ [ICMP_SYSCTLS.peerMsV4]: '250', [ICMP_SYSCTLS.msgsBurst]: '0', [ICMP_SYSCTLS.peerMsV6]: undefined, [ICMP_SYSCTLS.ratemaskV6]: undefined }))
      .toEqual({ ...KERNEL_ICMP_LIMITS, peerMsV4: 250, msgsBurst: 0 });
  });

  test('icmp_ratemask: destination unreachable is bit 3', () => {
    expect(from({ [ICMP_SYSCTLS.ratemaskV4]: String(6168 & ~8) }).limitV4).toBe(false);
    expect(from({ [ICMP_SYSCTLS.ratemaskV4]: '8' }).limitV4).toBe(true);
  });

  test('icmp/ratemask (IPv6): ranges and single bits, destination unreachable is type 1', () => {
    expect(ratemaskHas('k', '0-1,3-127', 1)).toBe(true);
    expect(ratemaskHas('k', '0-1,3-127', 2)).toBe(false);
    expect(ratemaskHas('k', '0,2-127', 1)).toBe(false);
    expect(ratemaskHas('k', '1', 1)).toBe(true);
    expect(ratemaskHas('k', '', 1)).toBe(false);
    expect(from({ [ICMP_SYSCTLS.ratemaskV6]: '0,3-127' }).limitV6).toBe(false);
  });

  test('what the kernel never prints is a one-line error, not a guess', () => {
    expect(() => from({ [ICMP_SYSCTLS.peerMsV4]: '-1' })).toThrow(IcmpSysctlError);
    expect(() => from({ [ICMP_SYSCTLS.msgsPerSec]: '4294967296' })).toThrow('net/ipv4/icmp_msgs_per_sec: "4294967296" is not a number');
    expect(() => from({ [ICMP_SYSCTLS.ratemaskV6]: '0-1;3' })).toThrow('net/ipv6/icmp/ratemask: "0-1;3" is not a list of ranges');
    expect(() => from({ [ICMP_SYSCTLS.ratemaskV6]: '5-3' })).toThrow('"5-3" is an empty range');
  });

  test('lb_icmp_conf carries every field and the flags', () => {
    const v = decode(lb_icmp_conf, encodeIcmpConf({ peerMsV4: 1, peerMsV6: 2, msgsPerSec: 3, msgsBurst: 4, limitV4: false, limitV6: true }));
    expect(v).toEqual({ flags: F.LB_ICMP_CONF_SET | F.LB_ICMP_CONF_LIMIT_V6, peer_ms_v4: 1, peer_ms_v6: 2, msgs_per_sec: 3, msgs_burst: 4, pad: 0 });
  });

  test('status reads the entry back and says it in one line', () => {
    expect(decodeIcmpConf(Buffer.alloc(lb_icmp_conf.size))).toBeUndefined(); // nothing written
    expect(decodeIcmpConf(encodeIcmpConf(KERNEL_ICMP_LIMITS))).toEqual(KERNEL_ICMP_LIMITS);
    expect(describeIcmpLimits(KERNEL_ICMP_LIMITS))
      .toBe('IPv4 per client 6, then 1 per 1000 ms; IPv6 per client 6, then 1 per 100 ms; overall 50, then 1000/s per CPU');
    expect(describeIcmpLimits({ ...KERNEL_ICMP_LIMITS, limitV4: false, peerMsV6: 0, msgsPerSec: 0, msgsBurst: 0 }))
      .toBe('IPv4 not limited (icmp_ratemask); IPv6 no per-client limit; overall 1, then none per CPU');
  });
});
