import { describe, expect, test } from '@jest/globals';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KeepalivedFileError, KeepalivedSyntaxError, memorySource, parseKeepalivedFile, parseKeepalivedText } from '../../src/keepalived/index.js';
import { LvsError } from '../../src/util/errors.js';

const F = '/etc/keepalived/keepalived.conf';
const vs = (body: string): string => `virtual_server 192.0.2.10 80 {\n  protocol TCP\n  lb_algo rr\n${body}\n}\n`;
const rs = (body: string): string => vs(`  real_server 192.0.2.11 80 {\n${body}\n  }`);

function message(text: string): string {
  try {
    parseKeepalivedText(text, F);
  } catch (e) {
    expect(e).toBeInstanceOf(KeepalivedSyntaxError);
    expect(e).toBeInstanceOf(LvsError);
    return (e as Error).message;
  }
  throw new Error('no error');
}

describe('malformed configurations: one typed error naming file and line', () => {
  test.each([
    ['unclosed block', 'virtual_server 192.0.2.10 80 {\n  protocol TCP\n', `${F}:1: unbalanced braces: '{' of 'virtual_server' is never closed`],
    ['unclosed nested block', rs('    TCP_CHECK {\n'), `${F}:1: unbalanced braces: '{' of 'virtual_server' is never closed`],
    ['unclosed block at the end', 'global_defs {\n}\nvrrp_instance VI {\n  virtual_ipaddress {\n  }\n', `${F}:3: unbalanced braces: '{' of 'vrrp_instance' is never closed`],
    ['stray close', 'global_defs {\n}\n}\n', `${F}:3: unbalanced braces: '}' without a matching '{'`],
    ['open without keyword', 'global_defs {\n}\n{\n}\n', `${F}:3: '{' without a keyword before it`],
    ['unterminated quote', vs('  quorum_up "/bin/echo x'), `${F}:4: unterminated quoted string: "/bin/echo x`],
    ['virtual_server without block', 'virtual_server 192.0.2.10 80\n', `${F}:1: virtual_server: missing '{' block`],
    ['virtual_server without address', 'virtual_server {\n}\n', `${F}:1: virtual_server: missing address, fwmark or group`],
    ['bad VS address', 'virtual_server 192.0.2.300 80 {\n}\n', `${F}:1: virtual_server: bad virtual server address '192.0.2.300'`],
    ['bad VS port', 'virtual_server 192.0.2.10 http {\n}\n', `${F}:1: virtual_server: bad number 'http' for port`],
    ['port out of range', 'virtual_server 192.0.2.10 65536 {\n}\n', `${F}:1: virtual_server: port '65536' out of range [0, 65535]`],
    ['fwmark without number', 'virtual_server fwmark {\n}\n', `${F}:1: virtual_server: missing fwmark`],
    ['bad scheduler', vs('  lb_algo fastest'), `${F}:4: lb_algo: unknown scheduler 'fastest' (rr|wrr|lc|wlc|lblc|lblcr|dh|sh|sed|nq|fo|ovf|mh|twos)`],
    ['bad forwarding method', vs('  lb_kind FULLNAT'), `${F}:4: lb_kind: unknown forwarding method 'FULLNAT' (NAT|DR|TUN)`],
    ['gue without port', vs('  lvs_method TUN type gue'), `${F}:4: lvs_method: gue tunnels require a port, other tunnels cannot have one`],
    ['ipip with csum', vs('  lvs_method TUN csum'), `${F}:4: lvs_method: ipip tunnels do not support checksum options`],
    ['tunnel option on DR', vs('  lvs_method DR csum'), `${F}:4: lvs_method: tunnel options 'csum' only apply to TUN`],
    ['bad protocol', vs('  protocol ICMP'), `${F}:4: protocol: expected TCP, UDP or SCTP, not 'ICMP'`],
    ['persistence not a number', vs('  persistence_timeout 5m'), `${F}:4: persistence_timeout: bad number '5m' for timeout`],
    ['delay_loop missing', vs('  delay_loop'), `${F}:4: delay_loop: missing delay`],
    ['delay_loop bad', vs('  delay_loop 1,5'), `${F}:4: delay_loop: bad time '1,5' for delay (seconds)`],
    ['quorum 0', vs('  quorum 0'), `${F}:4: quorum: quorum '0' out of range [1, 4294967295]`],
    ['bad granularity', vs('  persistence_granularity 255.255.0.256'), `${F}:4: persistence_granularity: bad IPv4 netmask '255.255.0.256'`],
    ['sorry_server without address', vs('  sorry_server'), `${F}:4: sorry_server: missing sorry server address`],
    ['sorry_server_inhibit first', vs('  sorry_server_inhibit'), `${F}:4: sorry_server_inhibit before or without sorry_server`],
    ['real_server bad address', vs('  real_server 10.0.0.x 80 {\n  }'), `${F}:4: real_server: bad real server address '10.0.0.x'`],
    ['real_server without block', vs('  real_server 10.0.0.1 80'), `${F}:4: real_server: missing '{' block`],
    ['weight missing', rs('    weight'), `${F}:5: weight: missing weight`],
    ['weight negative', rs('    weight -1'), `${F}:5: weight: bad number '-1' for weight`],
    ['inhibit_on_failure bad flag', rs('    inhibit_on_failure maybe'), `${F}:5: inhibit_on_failure: expected true|false|on|off|yes|no, not 'maybe'`],
    ['notify_up empty', rs('    notify_up'), `${F}:5: notify_up: missing script`],
    ['connect_timeout zero', rs('    TCP_CHECK {\n      connect_timeout 0\n    }'), `${F}:6: connect_timeout: timeout must be greater than 0`],
    ['connect_ip bad', rs('    TCP_CHECK {\n      connect_ip ::g\n    }'), `${F}:6: connect_ip: bad address '::g'`],
    ['connect_port 0', rs('    TCP_CHECK {\n      connect_port 0\n    }'), `${F}:6: connect_port: port '0' out of range [1, 65535]`],
    ['bad status code', rs('    HTTP_GET {\n      url {\n        path /\n        status_code 200-99\n      }\n    }'), `${F}:8: status_code: bad status code '200-99' (100-599 or a range N-M)`],
    ['short digest', rs('    HTTP_GET {\n      url {\n        digest abc\n      }\n    }'), `${F}:7: digest: 'abc' is not 32 hexadecimal digits (an MD5)`],
    ['bad http_protocol', rs('    HTTP_GET {\n      http_protocol 2\n    }'), `${F}:6: http_protocol: expected 1.0, 1.0C or 1.1, not '2'`],
    ['misc_timeout bad', rs('    MISC_CHECK {\n      misc_timeout soon\n    }'), `${F}:6: misc_timeout: bad number 'soon' for timeout (seconds)`],
    ['group bad range', 'virtual_server_group g {\n  192.0.2.9-3 80\n}\n', `${F}:2: virtual_server_group: bad range '192.0.2.9-3'`],
    ['group unknown', 'virtual_server group nope {\n  real_server 192.0.2.1 {\n  }\n}\n', `${F}:1: virtual_server: group 'nope' is not defined`],
    ['duplicate virtual_server', vs('  real_server 192.0.2.11 80 {\n  }') + vs('  real_server 192.0.2.12 80 {\n  }'),
      `${F}:7: virtual_server tcp 192.0.2.10:80 is already defined at ${F}:1`],
  ])('%s', (_name, text, expected) => {
    expect(message(text)).toBe(expected);
  });

  test('the error carries file, line and detail; the message is one line', () => {
    try {
      parseKeepalivedText(vs('  quorum x'), F);
    } catch (e) {
      const err = e as KeepalivedSyntaxError;
      expect([err.file, err.line, err.detail, err.exitCode]).toEqual([F, 4, "quorum: bad number 'x' for quorum", 1]);
      expect(err.message).not.toContain('\n');
    }
  });
});

describe('includes', () => {
  test('an error inside an included file names that file and line', () => {
    const src = memorySource({ '/etc/k/main.conf': 'include conf.d/*.conf\n', '/etc/k/conf.d/a.conf': '\n\nvirtual_server 192.0.2.1 80 {\n' });
    expect(() => parseKeepalivedFile('/etc/k/main.conf', src)).toThrow("/etc/k/conf.d/a.conf:3: unbalanced braces: '{' of 'virtual_server' is never closed");
  });

  test('a missing file without wildcards is an error at the include line; an empty glob is a warning', () => {
    const src = memorySource({ '/etc/k/main.conf': '# x\ninclude /etc/k/none/*.conf\ninclude missing.conf\n' });
    expect(() => parseKeepalivedFile('/etc/k/main.conf', src)).toThrow(KeepalivedFileError);
    expect(() => parseKeepalivedFile('/etc/k/main.conf', src)).toThrow(/^\/etc\/k\/main\.conf:3: cannot read \/etc\/k\/missing\.conf: /);
    const ok = parseKeepalivedFile('/etc/k/main.conf', memorySource({ '/etc/k/main.conf': 'include /etc/k/none/*.conf\n' }));
    expect(ok.warnings).toEqual([{ file: '/etc/k/main.conf', line: 1, keyword: 'include', message: "no config files matched '/etc/k/none/*.conf'" }]);
  });

  test('include loops are refused', () => {
    const src = memorySource({ '/k/a.conf': 'include b.conf\n', '/k/b.conf': '\ninclude a.conf\n' });
    expect(() => parseKeepalivedFile('/k/a.conf', src)).toThrow('/k/b.conf:2: include loop: /k/a.conf is already being read');
  });

  test('globs with braces and character classes, relative to the including file (nested), on disk', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ka-inc-'));
    try {
      mkdirSync(join(dir, 'sub', 'more'), { recursive: true });
      writeFileSync(join(dir, 'main.conf'), 'include sub/{x,y}[0-9].conf\n');
      writeFileSync(join(dir, 'sub', 'x1.conf'), 'include more/*.conf\n');
      writeFileSync(join(dir, 'sub', 'y2.conf'), 'vrrp_instance B {\n}\n');
      writeFileSync(join(dir, 'sub', 'z3.conf'), 'not included\n');
      writeFileSync(join(dir, 'sub', 'more', 'vs.conf'), vs('  real_server 192.0.2.11 80 {\n  }'));
      writeFileSync(join(dir, 'sub', 'more', '.hidden.conf'), 'hidden {\n');
      const c = parseKeepalivedFile(join(dir, 'main.conf'));
      expect(c.files).toEqual(['main.conf', 'sub/x1.conf', 'sub/more/vs.conf', 'sub/y2.conf'].map((f) => join(dir, f)));
      expect(c.virtualServers.map((v) => [v.id, v.where.file, v.where.line])).toEqual([['tcp 192.0.2.10:80', join(dir, 'sub/more/vs.conf'), 1]]);
      expect(c.ignored).toEqual([{ file: join(dir, 'sub/y2.conf'), line: 1, keyword: 'vrrp_instance', message: 'VRRP is not handled by lvs-xdp' }]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a missing main file is a KeepalivedFileError naming it', () => {
    expect(() => parseKeepalivedFile('/nonexistent/keepalived.conf')).toThrow(/^\/nonexistent\/keepalived\.conf:0: cannot read \/nonexistent\/keepalived\.conf/);
  });
});
