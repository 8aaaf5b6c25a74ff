import { describe, expect, test } from '@jest/globals';
import { parseKeepalivedFile, parseKeepalivedText } from '../../src/keepalived/index.js';

const EXAMPLE = '/work/shared/reference/keepalived-example.conf';
const FIX = 'test/unit/fixtures/keepalived';

describe('keepalived reference example', () => {
  const cfg = parseKeepalivedFile(EXAMPLE);

  test('the virtual server and its values', () => {
    expect(cfg.virtualServers).toHaveLength(1);
    const vs = cfg.virtualServers[0]!;
    expect(vs).toMatchObject({
      where: { file: EXAMPLE, line: 17 }, id: 'tcp 192.0.2.10:80',
      target: { kind: 'addr', addr: { family: 'inet', ip: '192.0.2.10' }, port: 80 },
      protocol: 'tcp', scheduler: 'wlc', forward: { method: 'dr' }, persistence: 300, granularity: '255.255.255.0',
      onePacket: false, schedFlags: [], delayLoopMs: 6000, quorum: 1, hysteresis: 0, alpha: true, omega: true,
      inhibitOnFailure: false,
      sorryServer: { addr: { family: 'inet', ip: '10.0.0.99' }, port: 80, forward: { method: 'dr' }, inhibit: false },
    });
    expect(vs.reals).toHaveLength(1);
    const rs = vs.reals[0]!;
    expect(rs).toMatchObject({
      where: { file: EXAMPLE, line: 28 }, addr: { ip: '10.0.0.11' }, port: 80, weight: 100, forward: { method: 'dr' },
      inhibitOnFailure: true, upperThreshold: 0, lowerThreshold: 0,
    });
    expect(rs.checkers).toEqual([{
      type: 'HTTP_GET', where: { file: EXAMPLE, line: 31 }, delayLoopMs: 6000, retry: 3, delayBeforeRetryMs: 2000,
      warmupMs: 6000, alpha: true, connect: { ip: { family: 'inet', ip: '10.0.0.11' }, port: 80, connectTimeoutMs: 3000 },
      urls: [{ path: '/healthz', statusCodes: [[200, 200]] }], httpProtocol: '1.0',
    }]);
  });

  test('global_defs and the VRRP instance are reported as ignored, once each, with their lines', () => {
    expect(cfg.ignored).toEqual([
      { file: EXAMPLE, line: 1, keyword: 'global_defs', message: 'not used by lvs-xdp' },
      { file: EXAMPLE, line: 7, keyword: 'vrrp_instance', message: 'VRRP is not handled by lvs-xdp' },
    ]);
    expect(cfg.warnings).toEqual([]);
    expect(cfg.files).toEqual([EXAMPLE]);
  });
});

describe('a director configuration with includes, groups, TUN, MISC/TCP/SSL checkers', () => {
  const cfg = parseKeepalivedFile(`${FIX}/director.conf`);
  const byId = (id: string) => cfg.virtualServers.find((v) => v.id === id)!;

  test('files are read in include order, globs sorted, named relative to the includer', () => {
    expect(cfg.files).toEqual([`${FIX}/director.conf`, `${FIX}/conf.d/10-dns.conf`, `${FIX}/conf.d/20-v6.conf`]);
    expect(cfg.virtualServers.map((v) => v.id)).toEqual(['udp 192.0.2.53:53', 'tcp [2001:db8::10]:80', 'group web4 tcp', 'fwmark 5']);
  });

  test('UDP service: ops, quorum, hysteresis, scripts, sorry server inhibit, VS-level retry and connect_timeout', () => {
    const vs = byId('udp 192.0.2.53:53');
    expect(vs).toMatchObject({ scheduler: 'wrr', forward: { method: 'nat' }, onePacket: true, quorum: 5, hysteresis: 2,
      delayLoopMs: 2500, quorumUp: '/usr/local/bin/notify up', quorumDown: '/usr/local/bin/notify down',
      sorryServer: { addr: { ip: '192.0.2.99' }, port: 53, inhibit: true, forward: { method: 'nat' } } });
    const [a, b] = vs.reals;
    expect(a).toMatchObject({ weight: 3, upperThreshold: 100, lowerThreshold: 10, notifyUp: '/bin/echo up', notifyDown: '/bin/echo down' });
    expect(a!.checkers).toEqual([{ type: 'MISC_CHECK', where: { file: `${FIX}/conf.d/10-dns.conf`, line: 20 }, delayLoopMs: 2500,
      retry: 2, delayBeforeRetryMs: 1000, warmupMs: 2500, alpha: false, path: '/usr/local/bin/check_dns 192.0.2.51', timeoutMs: 3000, dynamic: true }]);
    expect(b).toMatchObject({ port: 5353, weight: 4, forward: { method: 'nat' } });
    expect(b!.checkers[0]).toMatchObject({ type: 'TCP_CHECK', retry: 2, delayBeforeRetryMs: 500, warmupMs: 0, alpha: true,
      connect: { ip: { ip: '192.0.2.152' }, port: 5353, connectTimeoutMs: 1000, bindto: { ip: '192.0.2.1' } } });
  });

  test('IPv6: canonical addresses, bare persistence_timeout = 360, prefix granularity, DR port reset', () => {
    const vs = byId('tcp [2001:db8::10]:80');
    expect(vs).toMatchObject({ scheduler: 'mh', schedFlags: ['mh-fallback'], persistence: 360, granularity: 64, alpha: true, omega: true, inhibitOnFailure: true });
    expect(vs.reals.map((r) => [r.addr.ip, r.port, r.weight, r.inhibitOnFailure])).toEqual([['2001:db8::11', 80, 1, true], ['2001:db8::12', 80, 0, false]]);
    expect(vs.reals[0]!.checkers[0]).toMatchObject({ type: 'HTTP_GET', retry: 1, delayBeforeRetryMs: 3000, connect: { port: 80, connectTimeoutMs: 5000 },
      urls: [{ path: '/', statusCodes: [[200, 299]] }] });
  });

  test('group with ranges and fwmark, TUN gue csum inherited, SSL_GET urls', () => {
    expect(cfg.groups[0]).toMatchObject({ name: 'web4', entries: [
      { kind: 'range', first: { ip: '192.0.2.20' }, last: { ip: '192.0.2.22' }, port: 443 },
      { kind: 'range', first: { ip: '198.51.100.7' }, last: { ip: '198.51.100.7' }, port: 443 },
      { kind: 'fwmark', mark: 7, family: 'inet' }] });
    const vs = byId('group web4 tcp');
    const tun = { method: 'tun', tunnel: { type: 'gue', port: 6080, csum: 'csum' } };
    expect(vs).toMatchObject({ scheduler: 'sh', schedFlags: ['sh-port'], forward: tun });
    expect(vs.reals[0]).toMatchObject({ port: 443, forward: tun });
    expect(vs.reals[0]!.checkers[0]).toMatchObject({ type: 'SSL_GET', retry: 4, httpProtocol: '1.1', virtualhost: 'www.example.test',
      urls: [{ path: '/status', digest: '9b3c6f6ae3a1f9e0f0e1c2d3b4a59687', statusCodes: [[200, 200], [301, 302]] },
        { path: '/ready', statusCodes: [[200, 299]] }] });
  });

  test('fwmark service: no protocol, DR real port cleared, checker uses connect_port', () => {
    const vs = byId('fwmark 5');
    expect(vs.protocol).toBeUndefined();
    expect(vs.reals[0]).toMatchObject({ port: 0 });
    expect(vs.reals[0]!.checkers[0]).toMatchObject({ connect: { port: 8080 } });
  });

  test('ignored and warned statements carry file and line', () => {
    expect(cfg.ignored.map((n) => `${n.file}:${n.line} ${n.keyword}`)).toEqual([
      `${FIX}/director.conf:2 global_defs`, `${FIX}/conf.d/10-dns.conf:25 DNS_CHECK`, `${FIX}/conf.d/20-v6.conf:17 SMTP_CHECK`]);
    expect(cfg.warnings.map((n) => `${n.file}:${n.line} ${n.message}`)).toEqual([
      `${FIX}/director.conf:14 mh-port only applies to the mh scheduler - ignoring`,
      `${FIX}/director.conf:36 real server port 80 does not apply to DR - using none`,
      `${FIX}/conf.d/20-v6.conf:14 real server port 8080 does not apply to DR - using 80`]);
  });
});

describe('keepalived defaults and corrections', () => {
  const one = (body: string, head = 'virtual_server 192.0.2.10 80') =>
    parseKeepalivedText(`${head} {\n${body}\n}\n`, '/etc/keepalived/k.conf');

  test('defaults: NAT, wlc and UDP as keepalived (the last two with a warning), weight 1, delay_loop 60, TCP_CHECK retry 1 / 1 s', () => {
    const c = one('real_server 192.0.2.11 80 {\n TCP_CHECK {\n }\n}');
    const vs = c.virtualServers[0]!;
    expect(vs).toMatchObject({ forward: { method: 'nat' }, scheduler: 'wlc', protocol: 'udp', delayLoopMs: 60000, quorum: 1 });
    expect(vs.reals[0]).toMatchObject({ weight: 1, port: 80 });
    expect(vs.reals[0]!.checkers[0]).toMatchObject({ retry: 1, delayBeforeRetryMs: 1000, warmupMs: 60000, alpha: false,
      connect: { connectTimeoutMs: 5000, port: 80 } });
    expect(c.warnings.map((w) => `${w.line} ${w.message}`)).toEqual([
      '1 no protocol set - defaulting to UDP (as keepalived)', "1 no scheduler set, setting default 'wlc'"]);
  });

  test('MISC_CHECK defaults: retry 0, misc_timeout = the VS delay_loop', () => {
    const c = one('delay_loop 7\nlb_algo rr\nprotocol TCP\nreal_server 192.0.2.11 {\n MISC_CHECK {\n misc_path /bin/true\n }\n}');
    expect(c.virtualServers[0]!.reals[0]!.checkers[0]).toMatchObject({ type: 'MISC_CHECK', retry: 0, timeoutMs: 7000, delayLoopMs: 7000, path: '/bin/true' });
  });

  test('checker > real_server > virtual_server for the timing settings; alpha inherited', () => {
    const c = one(['lb_algo rr', 'protocol TCP', 'retry 5', 'delay_before_retry 9', 'connect_timeout 8', 'alpha',
      'real_server 192.0.2.11 80 {', ' retry 4', ' TCP_CHECK {', '  retry 0', ' }', ' HTTP_GET {', '  url {', '   path /', '  }', ' }', '}'].join('\n'));
    const [tcp, http] = c.virtualServers[0]!.reals[0]!.checkers;
    expect(tcp).toMatchObject({ retry: 0, delayBeforeRetryMs: 9000, alpha: true, connect: { connectTimeoutMs: 8000 } });
    expect(http).toMatchObject({ retry: 4, delayBeforeRetryMs: 9000 });
  });

  test('quorum above the total weight and hysteresis >= quorum are reduced, as keepalived', () => {
    const c = one('lb_algo rr\nprotocol TCP\nquorum 10\nhysteresis 10\nreal_server 192.0.2.11 80 {\n weight 3\n}');
    expect(c.virtualServers[0]).toMatchObject({ quorum: 3, hysteresis: 2 });
    expect(c.warnings.map((w) => w.keyword)).toEqual(['quorum', 'hysteresis']);
  });

  test('a virtual server without real servers is dropped with a warning; duplicate reals keep the first', () => {
    const c = parseKeepalivedText('virtual_server 192.0.2.10 80 {\n protocol TCP\n lb_algo rr\n}\n' +
      'virtual_server 192.0.2.10 81 {\n protocol TCP\n lb_algo rr\n real_server 192.0.2.11 81 {\n weight 2\n }\n real_server 192.0.2.11 81 {\n }\n}\n', '/k.conf');
    expect(c.virtualServers.map((v) => v.id)).toEqual(['tcp 192.0.2.10:81']);
    expect(c.virtualServers[0]!.reals.map((r) => r.weight)).toEqual([2]);
    expect(c.warnings.map((w) => `${w.line} ${w.message}`)).toEqual([
      '1 virtual server has no real servers - ignoring (as keepalived)', '11 real server 192.0.2.11:81 is duplicated - removing second rs']);
  });

  test('comments (# and !), quoted strings, one-line blocks, brace on the next line, escaped #', () => {
    const c = parseKeepalivedText([
      '# comment', 'virtual_server 192.0.2.10 80   ! trailing', '{', ' protocol TCP # x', ' lb_algo rr', ' real_server 192.0.2.11 80 { weight 2 }',
      ' real_server 192.0.2.12 80 {', '  notify_up "/bin/echo a # b"', '  MISC_CHECK { misc_path /bin/echo \\#1 }', ' }', '}'].join('\n'), '/k.conf');
    const vs = c.virtualServers[0]!;
    expect(vs.reals.map((r) => r.weight)).toEqual([2, 1]);
    expect(vs.reals[1]!.notifyUp).toBe('/bin/echo a # b');
    expect(vs.reals[1]!.checkers[0]).toMatchObject({ path: '/bin/echo #1' });
  });

  test('unknown keywords at every level are ignored with their line, never fatal', () => {
    const c = parseKeepalivedText(['frobnicate 1', 'vrrp_script chk { script /bin/true }', 'static_routes {', ' 10.0.0.0/8 via 192.0.2.1', '}',
      'virtual_server 192.0.2.10 80 {', ' protocol TCP', ' lb_algo rr', ' smtp_alert', ' bogus_vs', ' real_server 192.0.2.11 80 {', '  bogus_rs 1',
      '  UDP_CHECK { }', '  PING_CHECK', '  HTTP_GET { url { path /', 'regex x', 'bogus_url } bogus_http }', ' }', '}'].join('\n'), '/k.conf');
    expect(c.ignored.map((n) => `${n.line} ${n.keyword}: ${n.message}`)).toEqual([
      '1 frobnicate: unknown keyword', '2 vrrp_script: VRRP is not handled by lvs-xdp', '3 static_routes: not used by lvs-xdp',
      '9 smtp_alert: not used by lvs-xdp', '10 bogus_vs: unknown keyword in virtual_server', '12 bogus_rs: unknown keyword in real_server',
      '13 UDP_CHECK: checker not supported by lvs-xdp', '14 PING_CHECK: checker not supported by lvs-xdp',
      '16 regex: not used by lvs-xdp', '17 bogus_url: unknown keyword in url', '17 bogus_http: unknown keyword in HTTP_GET']);
    expect(c.virtualServers).toHaveLength(1);
  });

  test('TUN options, sorry_server_lvs_method, group ranges of IPv6 and by prefix', () => {
    const c = parseKeepalivedText(['virtual_server_group g6 {', ' 2001:db8::a-c 80', ' 192.0.2.64/30 80', '}',
      'virtual_server group g6 {', ' protocol TCP', ' lb_algo rr', ' lb_kind TUN type gre csum', ' sorry_server 192.0.2.99', ' sorry_server_lvs_method DR',
      ' real_server 192.0.2.11 {', '  lvs_method TUN', ' }', '}'].join('\n'), '/k.conf');
    expect(c.groups[0]!.entries).toMatchObject([{ first: { ip: '2001:db8::a' }, last: { ip: '2001:db8::c' } },
      { first: { ip: '192.0.2.64' }, last: { ip: '192.0.2.67' } }]);
    const vs = c.virtualServers[0]!;
    expect(vs.forward).toEqual({ method: 'tun', tunnel: { type: 'gre', csum: 'csum' } });
    expect(vs.reals[0]!.forward).toEqual({ method: 'tun', tunnel: { type: 'ipip', csum: 'nocsum' } });
    expect(vs.sorryServer).toMatchObject({ forward: { method: 'dr' }, port: 80 });
  });
});
