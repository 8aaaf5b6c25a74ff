import { describe, expect, jest, test } from '@jest/globals';
import { realserverUp } from '../../src/realserver/apply.js';
import { parseRealserverArgs } from '../../src/realserver/args.js';
import { realserverCommand } from '../../src/realserver/command.js';
import {
  ARP_SYSCTLS,
  parseVip,
  planDown,
  planUp,
  prefixLen,
  type CurrentState,
  type RealserverAction,
} from '../../src/realserver/plan.js';
import { UsageError } from '../../src/util/errors.js';

const ZERO = Object.fromEntries(Object.keys(ARP_SYSCTLS).map((k) => [k, '0']));
const V4 = parseVip('192.0.2.10');
const V6 = parseVip('2001:db8::10');
const fresh = (): CurrentState => ({ sysctls: { ...ZERO }, loAddrs: ['127.0.0.1', '::1'] });

/** Plays actions on a model of one namespace, as apply.ts does on the real one. */
function play(cur: CurrentState, actions: RealserverAction[]): CurrentState {
  const next: CurrentState = { sysctls: { ...cur.sysctls }, loAddrs: [...cur.loAddrs] };
  if (cur.state) next.state = cur.state;
  for (const a of actions) {
    if (a.kind === 'sysctl') next.sysctls[a.key] = a.value;
    if (a.kind === 'addr-add') next.loAddrs.push(a.vip.addr);
    if (a.kind === 'addr-del') next.loAddrs = next.loAddrs.filter((x) => x !== a.vip.addr);
    if (a.kind === 'write-state') next.state = a.state;
    if (a.kind === 'remove-state') delete next.state;
  }
  return next;
}

describe('VIP parsing', () => {
  test('IPv4 and canonical IPv6', () => {
    expect(V4).toEqual({ addr: '192.0.2.10', family: 4 });
    expect(parseVip('2001:DB8:0:0::10')).toEqual({ addr: '2001:db8::10', family: 6 });
    expect(prefixLen(V4)).toBe(32);
    expect(prefixLen(V6)).toBe(128);
  });
  test.each(['300.1.1.1', '192.0.2.10/32', 'vip', '', '0.0.0.0', '::', '2001:db8::zz'])('illegal: %p', (bad) => {
    expect(() => parseVip(bad)).toThrow(new UsageError(`illegal VIP address: ${bad}`));
  });
});

describe('planUp', () => {
  test('fresh server: save state, ARP switches, then the VIPs', () => {
    const actions = planUp([V4, V6], fresh());
    expect(actions).toEqual([
      { kind: 'write-state', state: { version: 1, vips: ['192.0.2.10', '2001:db8::10'], savedSysctls: ZERO } },
      { kind: 'sysctl', key: 'net.ipv4.conf.all.arp_ignore', value: '1' },
      { kind: 'sysctl', key: 'net.ipv4.conf.lo.arp_ignore', value: '1' },
      { kind: 'sysctl', key: 'net.ipv4.conf.all.arp_announce', value: '2' },
      { kind: 'sysctl', key: 'net.ipv4.conf.lo.arp_announce', value: '2' },
      { kind: 'addr-add', dev: 'lo', vip: V4 },
      { kind: 'addr-add', dev: 'lo', vip: V6 },
    ]);
  });

  test('a second up changes nothing and keeps the original saved values', () => {
    const after = play(fresh(), planUp([V4, V6], fresh()));
    expect(planUp([V4, V6], after)).toEqual([]);
    const more = planUp([parseVip('192.0.2.20')], after);
    expect(more).toEqual([
      { kind: 'write-state', state: { version: 1, vips: ['192.0.2.10', '2001:db8::10', '192.0.2.20'], savedSysctls: ZERO } },
      { kind: 'addr-add', dev: 'lo', vip: parseVip('192.0.2.20') },
    ]);
  });

  test('IPv6 only: no ARP switches', () => {
    expect(planUp([V6], fresh())).toEqual([
      { kind: 'write-state', state: { version: 1, vips: ['2001:db8::10'] } },
      { kind: 'addr-add', dev: 'lo', vip: V6 },
    ]);
  });

  test('a VIP already on lo is not ours: kept, not recorded', () => {
    const cur = { ...fresh(), loAddrs: ['127.0.0.1', '192.0.2.10'] };
    const actions = planUp([V4], cur);
    expect(actions.filter((a) => a.kind === 'addr-add')).toEqual([]);
    expect(actions[0]).toEqual({ kind: 'note', message: '192.0.2.10 already on lo; left in place by down' });
    expect(actions.find((a) => a.kind === 'write-state')).toEqual({ kind: 'write-state', state: { version: 1, vips: [], savedSysctls: ZERO } });
  });

  test('duplicates are added once', () => {
    expect(planUp([V4, parseVip('192.0.2.10')], fresh()).filter((a) => a.kind === 'addr-add')).toHaveLength(1);
  });
});

describe('planDown', () => {
  test('undoes up exactly: VIPs first, then the saved sysctls, then the state file', () => {
    const before = { ...fresh(), sysctls: { ...ZERO, 'net.ipv4.conf.all.arp_announce': '1' } };
    const up = play(before, planUp([V4, V6], before));
    const actions = planDown(undefined, up);
    expect(actions).toEqual([
      { kind: 'addr-del', dev: 'lo', vip: V4 },
      { kind: 'addr-del', dev: 'lo', vip: V6 },
      { kind: 'sysctl', key: 'net.ipv4.conf.all.arp_ignore', value: '0' },
      { kind: 'sysctl', key: 'net.ipv4.conf.lo.arp_ignore', value: '0' },
      { kind: 'sysctl', key: 'net.ipv4.conf.all.arp_announce', value: '1' },
      { kind: 'sysctl', key: 'net.ipv4.conf.lo.arp_announce', value: '0' },
      { kind: 'remove-state' },
    ]);
    expect(play(up, actions)).toEqual(before);
  });

  test('removing one VIP keeps the ARP switches while an IPv4 VIP remains', () => {
    const V4b = parseVip('192.0.2.20');
    const up = play(fresh(), planUp([V4, V4b, V6], fresh()));
    const a1 = planDown([V6], up);
    expect(a1).toEqual([
      { kind: 'addr-del', dev: 'lo', vip: V6 },
      { kind: 'write-state', state: { version: 1, vips: ['192.0.2.10', '192.0.2.20'], savedSysctls: ZERO } },
    ]);
    const s1 = play(up, a1);
    const s2 = play(s1, planDown([V4], s1));
    expect(s2.sysctls).toEqual(up.sysctls);
    const s3 = play(s2, planDown(undefined, s2));
    expect(s3).toEqual(fresh());
  });

  test('nothing saved, nothing asked: a note only', () => {
    expect(planDown(undefined, fresh())).toEqual([{ kind: 'note', message: 'nothing to undo (no saved real-server state)' }]);
  });

  test('without state, given VIPs are removed and sysctls left alone', () => {
    const cur = { ...fresh(), sysctls: { ...ZERO, 'net.ipv4.conf.all.arp_ignore': '1' }, loAddrs: ['127.0.0.1', '192.0.2.10'] };
    expect(planDown([V4, V6], cur)).toEqual([
      { kind: 'addr-del', dev: 'lo', vip: V4 },
      { kind: 'note', message: '2001:db8::10 is not on lo' },
      { kind: 'note', message: 'no saved real-server state: ARP sysctls left as they are' },
    ]);
  });

  test('down after a half-done up (VIP never added) still restores', () => {
    const up = planUp([V4], fresh());
    const crashed = play(fresh(), up.filter((a) => a.kind === 'write-state'));
    const actions = planDown(undefined, crashed);
    expect(actions[0]).toEqual({ kind: 'note', message: '192.0.2.10 is not on lo' });
    expect(actions[actions.length - 1]).toEqual({ kind: 'remove-state' });
  });
});

describe('realserver arguments and command', () => {
  test('parse', () => {
    expect(parseRealserverArgs(['up', '--vip', '192.0.2.10', '--vip=2001:db8::10', '--mode', 'dr'])).toEqual({
      action: 'up',
      vips: ['192.0.2.10', '2001:db8::10'],
      mode: 'dr',
    });
    expect(parseRealserverArgs(['down'])).toEqual({ action: 'down', vips: [], mode: 'dr' });
    expect(parseRealserverArgs(['up', '--vip', '192.0.2.10', '--mode', 'tun']).mode).toBe('tun');
    expect(parseRealserverArgs(['down', '--netns', 'lxt1-rs1']).netns).toBe('lxt1-rs1');
    expect(parseRealserverArgs(['--help']).action).toBe('help');
  });

  test.each([
    [['up'], 'realserver up needs --vip VIP'],
    [['up', '--vip'], "realserver: option '--vip' needs a value"],
    [['up', '--vip', '192.0.2.10', '--mode', 'nat'], "realserver: illegal mode 'nat' (dr or tun)"],
    [['up', '--bogus'], "realserver: unknown option '--bogus'"],
    [['sideways'], "realserver: unknown action 'sideways' (up or down)"],
  ])('usage error %p', (argv, message) => {
    expect(() => parseRealserverArgs(argv)).toThrow(new UsageError(message));
  });

  test('tun mode in a namespace that does not exist fails before anything is touched', () => {
    expect(() => realserverUp({ vips: ['192.0.2.10'], mode: 'tun', netns: 'no-such-ns' })).toThrow(/no-such-ns/);
  });

  test('command prints one line and returns the exit status', async () => {
    const err = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      expect(await realserverCommand(['up', '--vip', '192.0.2.300'])).toBe(2);
      expect(err).toHaveBeenLastCalledWith('illegal VIP address: 192.0.2.300\n');
      // Only refusals here: a unit test must never change the host it runs on.
      expect(await realserverCommand(['up', '--vip', '192.0.2.10', '--mode', 'nat'])).toBe(2);
      expect(err).toHaveBeenLastCalledWith("realserver: illegal mode 'nat' (dr or tun)\n");
    } finally {
      err.mockRestore();
    }
  });
});

describe('planUp notes', () => {
  test('lo down is reported, not changed', () => {
    const actions = planUp([V6], { ...fresh(), loUp: false });
    expect(actions[0]).toEqual({ kind: 'note', message: 'lo is down: the VIPs answer nothing until `ip link set lo up`' });
    expect(actions.filter((a) => a.kind !== 'note')).toEqual(planUp([V6], fresh()));
  });
});
