import { describe, expect, test } from '@jest/globals';
import { parseLabArgs } from '../../src/lab/command.js';
import { parseNameServerArgs, patternBytes } from '../../src/lab/name-server.js';
import { nginxConfig, nginxFiles } from '../../src/lab/nginx.js';
import { describeStep, labDownPlan, labUpPlan, type LabStep } from '../../src/lab/plan.js';
import { checkPrefix, labInfo, labNamespaces } from '../../src/lab/topology.js';
import { LvsError, UsageError } from '../../src/util/errors.js';

type Exec = Extract<LabStep, { kind: 'exec' }>;
const execs = (steps: LabStep[]): Exec[] => steps.filter((s): s is Exec => s.kind === 'exec');
const DOC = /^(192\.0\.2\.|198\.51\.100\.|203\.0\.113\.|2001:db8:)/;

describe('lab topology', () => {
  test('default names and addresses', () => {
    const info = labInfo();
    expect(info.prefix).toBe('lvsx');
    expect(labNamespaces(info)).toEqual(['lvsx-client', 'lvsx-dir', 'lvsx-rs1', 'lvsx-rs2', 'lvsx-rs3', 'lvsx-sw']);
    expect(info.client.ipv4).toBe('192.0.2.100');
    expect(info.director).toMatchObject({ ipv4: '192.0.2.2', ipv6: '2001:db8::2', ifname: 'eth0' });
    expect(info.reals.map((r) => [r.name, r.ipv4, r.ipv6])).toEqual([
      ['rs1', '192.0.2.11', '2001:db8::11'],
      ['rs2', '192.0.2.12', '2001:db8::12'],
      ['rs3', '192.0.2.13', '2001:db8::13'],
    ]);
    expect([info.vip4, info.vip6]).toEqual(['192.0.2.10', '2001:db8::10']);
    expect(info.runDir).toBe('/run/lvs-xdp-lab/lvsx');
  });

  test('every address is in a documentation range', () => {
    const info = labInfo('lxt1');
    for (const a of [info.vip4, info.vip6, ...info.hosts.flatMap((h) => [h.ipv4, h.ipv6])]) expect(a).toMatch(DOC);
  });

  test('prefix is checked so switch ports fit in 15 characters', () => {
    expect(checkPrefix('lxt1')).toBe('lxt1');
    expect(checkPrefix('abcdefgh')).toBe('abcdefgh');
    expect(() => checkPrefix('abcdefghi')).toThrow(LvsError);
    expect(() => checkPrefix('Lab')).toThrow(/illegal lab prefix: Lab/);
    expect(() => checkPrefix('a/b')).toThrow(LvsError);
    for (const h of labInfo('abcdefgh').hosts) expect(h.switchPort.length).toBeLessThanOrEqual(15);
  });
});

describe('lab up plan', () => {
  const steps = labUpPlan({ prefix: 'lxt1' });
  const all = execs(steps);
  const text = steps.map(describeStep);

  test('namespaces are created before anything runs inside them', () => {
    const adds = all.filter((s) => s.argv.slice(0, 3).join(' ') === 'ip netns add').map((s) => s.argv[3]);
    expect(adds.sort()).toEqual(['lxt1-client', 'lxt1-dir', 'lxt1-rs1', 'lxt1-rs2', 'lxt1-rs3', 'lxt1-sw']);
    const lastAdd = Math.max(...adds.map((ns) => steps.findIndex((s) => s.kind === 'exec' && s.argv[3] === ns)));
    steps.forEach((s, i) => {
      if ('netns' in s && s.netns && s.kind !== 'exec') expect(i).toBeGreaterThan(lastAdd);
      if (s.kind === 'exec' && s.netns) expect(i).toBeGreaterThan(lastAdd);
    });
    expect(steps[0]).toEqual({ kind: 'mkdir', path: '/run/lvs-xdp-lab/lxt1' });
  });

  test('one bridge, every host on it through a veth whose host end is eth0', () => {
    expect(text).toContain('[lxt1-sw] ip link add br0 type bridge mcast_snooping 0');
    for (const h of ['client', 'dir', 'rs1', 'rs2', 'rs3']) {
      expect(text).toContain(`[lxt1-sw] ip link add lxt1-${h} type veth peer name eth0 netns lxt1-${h}`);
      expect(text).toContain(`[lxt1-sw] ip link set lxt1-${h} master br0`);
    }
  });

  test('every switch port runs the NAPI XDP program; hosts put full checksums on the wire', () => {
    for (const h of ['client', 'dir', 'rs1', 'rs2', 'rs3']) {
      expect(text).toContain(`[lxt1-sw] ip link set dev lxt1-${h} xdpdrv obj .output/napi.bpf.o sec xdp`);
      expect(text).toContain(`[lxt1-${h}] ethtool -K eth0 tx off`);
    }
  });

  test('hosts: loopback up, rp_filter off, DAD off, addresses with nodad', () => {
    for (const h of labInfo('lxt1').hosts) {
      const mine = all.filter((s) => s.netns === h.netns).map((s) => s.argv.join(' '));
      expect(mine).toContain('ip link set lo up');
      const sysctl = mine.find((l) => l.startsWith('sysctl'))!;
      expect(sysctl).toContain('net.ipv4.conf.all.rp_filter=0');
      expect(sysctl).toContain('net.ipv4.conf.eth0.rp_filter=0');
      expect(sysctl).toContain('net.ipv6.conf.eth0.accept_dad=0');
      expect(mine).toContain(`ip addr add ${h.ipv4}/24 dev eth0`);
      expect(mine).toContain(`ip -6 addr add ${h.ipv6}/64 dev eth0 nodad`);
      // the link comes up last, after DAD is off and addresses are in place
      expect(mine[mine.length - 1]).toBe('ip link set eth0 up');
    }
    expect(text).toContain('[lxt1-sw] ip link set lo up');
  });

  test('the VIP is a /32 alias on the director, not on any other interface', () => {
    expect(text).toContain('[lxt1-dir] ip addr add 192.0.2.10/32 dev eth0 label eth0:0');
    expect(text).toContain('[lxt1-dir] ip -6 addr add 2001:db8::10/128 dev eth0 nodad');
    expect(all.filter((s) => s.argv.some((a) => a.startsWith('192.0.2.10/')))).toHaveLength(1);
  });

  test('real servers get the DR setup and then a server', () => {
    const rsUp = steps.filter((s) => s.kind === 'realserver-up');
    expect(rsUp).toEqual(['rs1', 'rs2', 'rs3'].map((n) => ({ kind: 'realserver-up', netns: `lxt1-${n}`, vips: ['192.0.2.10', '2001:db8::10'] })));
    const starts = steps.filter((s) => s.kind === 'server-start');
    expect(starts.map((s) => s.kind === 'server-start' && [s.netns, s.name, s.server, s.httpPort, s.udpPort])).toEqual([
      ['lxt1-rs1', 'rs1', 'name', 80, 53],
      ['lxt1-rs2', 'rs2', 'name', 80, 53],
      ['lxt1-rs3', 'rs3', 'name', 80, 53],
    ]);
    expect(steps.indexOf(starts[0]!)).toBeGreaterThan(steps.indexOf(rsUp[2]!));
    const nginx = labUpPlan({ prefix: 'lxt1', servers: 'nginx' }).filter((s) => s.kind === 'server-start');
    expect(nginx.every((s) => s.kind === 'server-start' && s.server === 'nginx')).toBe(true);
  });

  test('interface names fit IFNAMSIZ', () => {
    for (const s of all) {
      const i = s.argv.indexOf('link');
      if (i >= 0 && s.argv[i + 1] === 'add') expect(s.argv[i + 2]!.length).toBeLessThanOrEqual(15);
    }
  });
});

describe('lab down plan', () => {
  const steps = labDownPlan({ prefix: 'lxt1' });
  test('servers stop, real-server setup is undone, namespaces go, run dir last', () => {
    expect(steps.map(describeStep)).toEqual([
      '[lxt1-rs1] stop server rs1',
      '[lxt1-rs2] stop server rs2',
      '[lxt1-rs3] stop server rs3',
      '[lxt1-rs1] lvs-xdp realserver down',
      '[lxt1-rs2] lvs-xdp realserver down',
      '[lxt1-rs3] lvs-xdp realserver down',
      'ip netns del lxt1-client',
      'ip netns del lxt1-dir',
      'ip netns del lxt1-rs1',
      'ip netns del lxt1-rs2',
      'ip netns del lxt1-rs3',
      'ip netns del lxt1-sw',
      'rm -rf /run/lvs-xdp-lab/lxt1',
    ]);
  });
  test('a bad prefix is refused before any step exists', () => {
    expect(() => labDownPlan({ prefix: '../x' })).toThrow(LvsError);
  });
});

describe('lab servers (pure parts)', () => {
  test('nginx config keeps every file in the run dir and answers the name', () => {
    const files = nginxFiles('/run/lvs-xdp-lab/lxt1', 'rs2');
    const conf = nginxConfig('rs2', 80, files);
    expect(conf).toContain('daemon on;');
    expect(conf).toContain('user root;');
    expect(conf).toContain('pid /run/lvs-xdp-lab/lxt1/rs2-nginx.pid;');
    expect(conf).toContain('error_log /run/lvs-xdp-lab/lxt1/rs2-nginx.error.log');
    expect(conf).toContain('listen 80;');
    expect(conf).toContain('listen [::]:80;');
    expect(conf).toContain('return 200 "rs2\\n";');
  });

  test('name server arguments and byte pattern', () => {
    expect(parseNameServerArgs(['--name', 'rs1', '--port', '8080', '--udp-port', '53'])).toEqual({ name: 'rs1', port: 8080, udpPort: 53 });
    expect(() => parseNameServerArgs(['--port', '80'])).toThrow(/--name/);
    expect(() => parseNameServerArgs(['--name', 'x', '--port', '70000'])).toThrow(/port/);
    const whole = patternBytes(0, 1000);
    expect(patternBytes(300, 200)).toEqual(whole.subarray(300, 500));
    expect(whole.subarray(0, 256)).not.toEqual(whole.subarray(256, 512));
  });

  test('lab command arguments', () => {
    expect(parseLabArgs(['up'])).toEqual({ action: 'up', prefix: 'lvsx', servers: 'name' });
    expect(parseLabArgs(['up', '--prefix', 'lxt9', '--servers=nginx'])).toEqual({ action: 'up', prefix: 'lxt9', servers: 'nginx' });
    expect(parseLabArgs(['down', '--prefix=lxt9'])).toEqual({ action: 'down', prefix: 'lxt9', servers: 'name' });
    expect(parseLabArgs([]).action).toBe('help');
    expect(() => parseLabArgs(['sideways'])).toThrow(UsageError);
    expect(() => parseLabArgs(['up', '--servers', 'apache'])).toThrow(/illegal --servers 'apache'/);
    expect(() => parseLabArgs(['down', '--servers', 'nginx'])).toThrow(UsageError);
    expect(() => parseLabArgs(['up', '--prefix'])).toThrow(/needs a value/);
  });
});
