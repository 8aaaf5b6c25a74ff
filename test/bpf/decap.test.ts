// The TUN real server's decap program (bpf/decap.bpf.c), byte for byte: what the
// director's TUN path sends comes out as the client's original frame.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { rmSync } from 'node:fs';
import { VERDICT_NAME, describeBpf, run } from './harness.js';
import { TCP, packet, type PacketSpec } from './packets.js';
import { ethHdr, ipv4, ipv6, l3Of } from './fwd-helpers.js';
import { decapAddAddrs, loadDecap } from '../../src/realserver/decap.js';
import { pinPaths } from '../../src/bpf/pins.js';

const maybe = describeBpf('decap');
const RS_MAC = '02:00:00:00:00:11';
const DIR_MAC = '02:00:00:00:00:02';

maybe('decap (BPF_PROG_TEST_RUN)', () => {
  const pins = pinPaths(`/sys/fs/bpf/lvs-xdp-decap-test-${process.pid}`);
  let prog: { progFd: number; close(): void };

  beforeAll(() => {
    prog = loadDecap(pins);
    decapAddAddrs(pins, 'decap_vips', [{ addr: '192.0.2.10', family: 4 }, { addr: '2001:db8::10', family: 6 }]);
    decapAddAddrs(pins, 'decap_locals', [{ addr: '192.0.2.11', family: 4 }, { addr: '2001:db8::11', family: 6 }]);
  });
  afterAll(() => {
    prog?.close();
    rmSync(pins.dir, { recursive: true, force: true });
  });

  const inner4: PacketSpec = { eth: { dst: RS_MAC, src: DIR_MAC }, ip: { v: 4, src: '198.51.100.7', dst: '192.0.2.10', df: true }, l4: { proto: 'tcp', sport: 40001, dport: 80, flags: TCP.SYN } };
  const inner6: PacketSpec = { eth: { dst: RS_MAC, src: DIR_MAC }, ip: { v: 6, src: '2001:db8:ffff::7', dst: '2001:db8::10' }, l4: { proto: 'udp', sport: 40001, dport: 53 }, payload: Buffer.from('q') };
  const o4 = (proto: number, dst = '192.0.2.11') => ({ src: '192.0.2.2', dst, protocol: proto, ttl: 64, tos: 0, id: 0, df: true });
  const o6 = (nh: number, dst = '2001:db8::11') => ({ src: '2001:db8::2', dst, nextHeader: nh, hopLimit: 64, trafficClass: 0 });

  const cases: Array<[string, Buffer, string, Buffer]> = [
    ['IPIP (IPv4 in IPv4)', Buffer.concat([ethHdr(RS_MAC, DIR_MAC, 0x0800), ipv4(o4(4), l3Of(packet(inner4)))]), 'XDP_PASS', packet(inner4)],
    ['IPv6 in IPv4', Buffer.concat([ethHdr(RS_MAC, DIR_MAC, 0x0800), ipv4(o4(41), l3Of(packet(inner6)))]), 'XDP_PASS', packet(inner6)],
    ['ip6ip6', Buffer.concat([ethHdr(RS_MAC, DIR_MAC, 0x86dd), ipv6(o6(41), l3Of(packet(inner6)))]), 'XDP_PASS', packet(inner6)],
    ['IPv4 in IPv6', Buffer.concat([ethHdr(RS_MAC, DIR_MAC, 0x86dd), ipv6(o6(4), l3Of(packet(inner4)))]), 'XDP_PASS', packet(inner4)],
    ['tagged IPIP keeps its tag', Buffer.concat([ethHdr(RS_MAC, DIR_MAC, 0x0800, 5), ipv4(o4(4), l3Of(packet(inner4)))]), 'XDP_PASS',
      packet({ ...inner4, eth: { dst: RS_MAC, src: DIR_MAC, vlan: 5 } })],
  ];
  test.each(cases)('%s: outer header removed', (_d, input, verdict, expected) => {
    const r = run(prog.progFd, input);
    expect(VERDICT_NAME[r.verdict]).toBe(verdict);
    expect(r.out.toString('hex')).toBe(expected.toString('hex'));
  });

  test('a tunnel packet for another host or another inner address is left alone', () => {
    const other = Buffer.concat([ethHdr(RS_MAC, DIR_MAC, 0x0800), ipv4(o4(4, '192.0.2.99'), l3Of(packet(inner4)))]);
    expect(run(prog.progFd, other).out.toString('hex')).toBe(other.toString('hex'));
    const notVip = { ...inner4, ip: { v: 4 as const, src: '198.51.100.7', dst: '192.0.2.77' } };
    const p2 = Buffer.concat([ethHdr(RS_MAC, DIR_MAC, 0x0800), ipv4(o4(4), l3Of(packet(notVip)))]);
    expect(run(prog.progFd, p2).out.toString('hex')).toBe(p2.toString('hex'));
  });

  test('ordinary traffic passes unchanged', () => {
    const p = packet(inner4);
    const r = run(prog.progFd, p);
    expect(VERDICT_NAME[r.verdict]).toBe('XDP_PASS');
    expect(r.out.toString('hex')).toBe(p.toString('hex'));
  });
});
