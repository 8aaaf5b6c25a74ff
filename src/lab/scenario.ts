// The lab scenarios: one JSON file per forwarding method in lab/scenarios/, read by the
// namespace lab (scenario-plan.ts, scenario-run.ts) and by vagrant/Vagrantfile and
// vagrant/provision/*.sh. This file is their type and their only TypeScript loader; every
// rule a scenario must follow is checked here, and a bad file is refused with one line
// naming the file and the field.
import { readdirSync, readFileSync } from 'node:fs';
import { BlockList, isIP } from 'node:net';
import { basename, join } from 'node:path';
import { LvsError } from '../util/errors.js';
import { repoRoot } from '../util/paths.js';

export type ScenarioMethod = 'dr' | 'tun' | 'nat' | 'fullnat';
export type ScenarioRole = 'client' | 'director' | 'real';

export interface ScenarioNetwork {
  /** Short name; hosts' addresses and the director's `attach` refer to it. */
  name: string;
  /** CIDR, e.g. 192.0.2.0/24. */
  ipv4: string;
  /** CIDR, e.g. 2001:db8::/64. */
  ipv6: string;
}

export interface HostAddress {
  ipv4: string;
  ipv6: string;
}

export interface ScenarioHost {
  /** Namespace suffix in the lab, VM name in Vagrant, the name a real server answers. */
  name: string;
  role: ScenarioRole;
  /** Network name → the host's addresses on it. */
  addresses: Record<string, HostAddress>;
}

export interface ScenarioDirector {
  /** `key=value` set with sysctl -w before attaching (NAT: net.ipv4.ip_forward=1). */
  sysctls: string[];
  /** FULLNAT's local addresses (LIP): put on the director's interface in `network`. */
  localAddresses: { network: string; ipv4: string }[];
  /** Networks whose interface gets the XDP program (`lvs-xdp attach IFACE…`). */
  attach: string[];
  /** lvs-xdp (ipvsadm) argument vectors, run in order after attach. */
  commands: string[][];
}

export interface ScenarioRealServers {
  /** `lvs-xdp realserver up --vip … --mode …` on every real server (DR, TUN), or null. */
  realserver: { mode: 'dr' | 'tun'; vips: string[] } | null;
  /** `ip route replace TO via VIA` on every real server (NAT: replies go through the director). */
  routes: { to: string; via: string }[];
}

export interface ScenarioCheck {
  /** Requested from every client; must be answered by each name in `expect`, and no other. */
  url: string;
  requests: number;
  expect: string[];
}

export interface Scenario {
  name: string;
  method: ScenarioMethod;
  summary: string;
  networks: ScenarioNetwork[];
  hosts: ScenarioHost[];
  /** The virtual IPs, held by the director's interface in `network`. */
  vip: { network: string; ipv4: string; ipv6: string };
  director: ScenarioDirector;
  realServers: ScenarioRealServers;
  checks: ScenarioCheck[];
}

/** A scenario file that does not follow the rules; the message names file and field. */
export class ScenarioError extends LvsError {
  constructor(file: string, field: string, problem: string) {
    super(`${file}: ${field}: ${problem}`, 2);
  }
}

export const METHODS: readonly ScenarioMethod[] = ['dr', 'tun', 'nat', 'fullnat'];

/** The forwarding switch each method's `-a` commands must carry. */
export const METHOD_FLAG: Readonly<Record<ScenarioMethod, string>> = { dr: '-g', tun: '-i', nat: '-m', fullnat: '--fullnat' };

/** RFC 5737 and RFC 3849: the only addresses a scenario may use. */
const DOC_RANGES = new BlockList();
DOC_RANGES.addSubnet('192.0.2.0', 24, 'ipv4');
DOC_RANGES.addSubnet('198.51.100.0', 24, 'ipv4');
DOC_RANGES.addSubnet('203.0.113.0', 24, 'ipv4');
DOC_RANGES.addSubnet('2001:db8::', 32, 'ipv6');

export function scenarioDir(root = repoRoot()): string {
  return join(root, 'lab', 'scenarios');
}

/** Names of the scenarios present (file names without .json), sorted. */
export function scenarioNames(dir = scenarioDir()): string[] {
  return readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5)).sort();
}

/** Reads and validates lab/scenarios/NAME.json. */
export function loadScenario(name: string, dir = scenarioDir()): Scenario {
  if (!/^[a-z][a-z0-9-]*$/.test(name)) throw new LvsError(`illegal scenario name: ${name}`, 2);
  const names = scenarioNames(dir);
  if (!names.includes(name)) throw new LvsError(`no scenario '${name}' (available: ${names.join(', ')})`, 2);
  return loadScenarioFile(join(dir, `${name}.json`));
}

export function loadScenarioFile(path: string): Scenario {
  const file = join(basename(join(path, '..', '..')), basename(join(path, '..')), basename(path));
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new ScenarioError(file, '(file)', (err as Error).message.split('\n')[0]!);
  }
  return validateScenario(data, file, basename(path, '.json'));
}

// ---- validation -------------------------------------------------------------------

type Fail = (field: string, problem: string) => never;

function obj(v: unknown, f: string, fail: Fail): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(f, 'must be an object');
  return v as Record<string, unknown>;
}
function arr(v: unknown, f: string, fail: Fail): unknown[] {
  if (!Array.isArray(v)) fail(f, 'must be an array');
  return v as unknown[];
}
function str(v: unknown, f: string, fail: Fail, re?: RegExp): string {
  if (typeof v !== 'string' || v === '') fail(f, 'must be a non-empty string');
  if (re && !re.test(v as string)) fail(f, `'${v as string}' does not match ${re}`);
  return v as string;
}
function addr(v: unknown, f: string, fail: Fail, family: 4 | 6): string {
  const s = str(v, f, fail);
  if (isIP(s) !== family) fail(f, `'${s}' is not an IPv${family} address`);
  if (!DOC_RANGES.check(s, family === 4 ? 'ipv4' : 'ipv6')) fail(f, `'${s}' is outside the documentation ranges`);
  return s;
}
function cidr(v: unknown, f: string, fail: Fail, family: 4 | 6): string {
  const s = str(v, f, fail);
  const [a, len, more] = s.split('/');
  const n = Number(len);
  if (more !== undefined || !Number.isInteger(n) || n < 8 || n > (family === 4 ? 30 : 126)) fail(f, `'${s}' is not an IPv${family} prefix`);
  addr(a, f, fail, family);
  return s;
}
function inCidr(a: string, prefix: string, family: 4 | 6): boolean {
  const [net, len] = prefix.split('/');
  const b = new BlockList();
  b.addSubnet(net!, Number(len), family === 4 ? 'ipv4' : 'ipv6');
  return b.check(a, family === 4 ? 'ipv4' : 'ipv6');
}
/** Only the listed keys: a misspelt field must not be silently ignored by one side. */
function keys(o: Record<string, unknown>, allowed: string[], f: string, fail: Fail): void {
  for (const k of Object.keys(o)) if (!allowed.includes(k)) fail(f ? `${f}.${k}` : k, 'unknown field');
  for (const k of allowed) if (!(k in o)) fail(f ? `${f}.${k}` : k, 'missing');
}

/** Checks `data` against every rule; returns it typed. `file` and `stem` name it in errors. */
export function validateScenario(data: unknown, file: string, stem: string): Scenario {
  const fail: Fail = (field, problem) => {
    throw new ScenarioError(file, field, problem);
  };
  const top = obj(data, '(top)', fail);
  keys(top, ['name', 'method', 'summary', 'networks', 'hosts', 'vip', 'director', 'realServers', 'checks'], '', fail);
  const name = str(top.name, 'name', fail);
  if (name !== stem) fail('name', `'${name}' differs from the file name '${stem}'`);
  const method = str(top.method, 'method', fail) as ScenarioMethod;
  if (!METHODS.includes(method)) fail('method', `'${method}' is not one of ${METHODS.join(', ')}`);
  str(top.summary, 'summary', fail);

  const networks = arr(top.networks, 'networks', fail).map((v, i) => {
    const f = `networks[${i}]`;
    const n = obj(v, f, fail);
    keys(n, ['name', 'ipv4', 'ipv6'], f, fail);
    return { name: str(n.name, `${f}.name`, fail, /^[a-z][a-z0-9]{0,7}$/), ipv4: cidr(n.ipv4, `${f}.ipv4`, fail, 4), ipv6: cidr(n.ipv6, `${f}.ipv6`, fail, 6) };
  });
  if (networks.length === 0) fail('networks', 'at least one network is needed');
  const net = (n: string, f: string): ScenarioNetwork => networks.find((x) => x.name === n) ?? fail(f, `no network '${n}'`);
  unique(networks.map((n) => n.name), 'networks', 'name', fail);

  const hosts = arr(top.hosts, 'hosts', fail).map((v, i) => {
    const f = `hosts[${i}]`;
    const h = obj(v, f, fail);
    keys(h, ['name', 'role', 'addresses'], f, fail);
    const role = str(h.role, `${f}.role`, fail, /^(client|director|real)$/) as ScenarioRole;
    const addresses: Record<string, HostAddress> = {};
    const a = obj(h.addresses, `${f}.addresses`, fail);
    if (Object.keys(a).length === 0) fail(`${f}.addresses`, 'the host is on no network');
    for (const [n, v2] of Object.entries(a)) {
      const g = `${f}.addresses.${n}`;
      const network = net(n, g);
      const o = obj(v2, g, fail);
      keys(o, ['ipv4', 'ipv6'], g, fail);
      const ipv4 = addr(o.ipv4, `${g}.ipv4`, fail, 4);
      const ipv6 = addr(o.ipv6, `${g}.ipv6`, fail, 6);
      if (!inCidr(ipv4, network.ipv4, 4)) fail(`${g}.ipv4`, `'${ipv4}' is not in ${n} (${network.ipv4})`);
      if (!inCidr(ipv6, network.ipv6, 6)) fail(`${g}.ipv6`, `'${ipv6}' is not in ${n} (${network.ipv6})`);
      addresses[n] = { ipv4, ipv6 };
    }
    // Host names become namespace suffixes and switch ports (IFNAMSIZ): at most 6 characters.
    return { name: str(h.name, `${f}.name`, fail, /^[a-z][a-z0-9]{0,5}$/), role, addresses };
  });
  unique(hosts.map((h) => h.name), 'hosts', 'name', fail);
  unique(hosts.flatMap((h) => Object.values(h.addresses).flatMap((a) => [a.ipv4, a.ipv6])), 'hosts', 'address', fail);
  const count = (r: ScenarioRole) => hosts.filter((h) => h.role === r).length;
  if (count('director') !== 1) fail('hosts', `exactly one director is needed (found ${count('director')})`);
  if (count('client') < 1) fail('hosts', 'at least one client is needed');
  if (count('real') < 1) fail('hosts', 'at least one real server is needed');
  const director = hosts.find((h) => h.role === 'director')!;
  const onDirector = (n: string, f: string): void => {
    net(n, f);
    if (!director.addresses[n]) fail(f, `the director '${director.name}' is not on network '${n}'`);
  };

  const vo = obj(top.vip, 'vip', fail);
  keys(vo, ['network', 'ipv4', 'ipv6'], 'vip', fail);
  const vip = { network: str(vo.network, 'vip.network', fail), ipv4: addr(vo.ipv4, 'vip.ipv4', fail, 4), ipv6: addr(vo.ipv6, 'vip.ipv6', fail, 6) };
  onDirector(vip.network, 'vip.network');

  const d = obj(top.director, 'director', fail);
  keys(d, ['sysctls', 'localAddresses', 'attach', 'commands'], 'director', fail);
  const sysctls = arr(d.sysctls, 'director.sysctls', fail).map((v, i) => str(v, `director.sysctls[${i}]`, fail, /^[a-z0-9_.]+=[0-9]+$/));
  const localAddresses = arr(d.localAddresses, 'director.localAddresses', fail).map((v, i) => {
    const f = `director.localAddresses[${i}]`;
    const o = obj(v, f, fail);
    keys(o, ['network', 'ipv4'], f, fail);
    const network = str(o.network, `${f}.network`, fail);
    onDirector(network, `${f}.network`);
    const ipv4 = addr(o.ipv4, `${f}.ipv4`, fail, 4);
    if (!inCidr(ipv4, net(network, f).ipv4, 4)) fail(`${f}.ipv4`, `'${ipv4}' is not in ${network}`);
    return { network, ipv4 };
  });
  const attach = arr(d.attach, 'director.attach', fail).map((v, i) => str(v, `director.attach[${i}]`, fail));
  attach.forEach((n, i) => onDirector(n, `director.attach[${i}]`));
  if (!attach.includes(vip.network)) fail('director.attach', `must include the VIP's network '${vip.network}'`);
  const commands = arr(d.commands, 'director.commands', fail).map((v, i) => {
    const line = arr(v, `director.commands[${i}]`, fail).map((w, j) => str(w, `director.commands[${i}][${j}]`, fail));
    if (line.length === 0) fail(`director.commands[${i}]`, 'empty command');
    return line;
  });
  checkCommands(commands, method, hosts, localAddresses, fail);

  const r = obj(top.realServers, 'realServers', fail);
  keys(r, ['realserver', 'routes'], 'realServers', fail);
  let realserver: ScenarioRealServers['realserver'] = null;
  if (r.realserver !== null) {
    const o = obj(r.realserver, 'realServers.realserver', fail);
    keys(o, ['mode', 'vips'], 'realServers.realserver', fail);
    const mode = str(o.mode, 'realServers.realserver.mode', fail, /^(dr|tun)$/) as 'dr' | 'tun';
    const vips = arr(o.vips, 'realServers.realserver.vips', fail).map((v, i) => str(v, `realServers.realserver.vips[${i}]`, fail));
    vips.forEach((v, i) => [vip.ipv4, vip.ipv6].includes(v) || fail(`realServers.realserver.vips[${i}]`, `'${v}' is not the scenario's VIP`));
    if (vips.length === 0) fail('realServers.realserver.vips', 'at least one VIP is needed');
    realserver = { mode, vips };
  }
  if ((method === 'dr' || method === 'tun') && realserver?.mode !== method) {
    fail('realServers.realserver', `a ${method} scenario needs {"mode": "${method}", "vips": [...]}`);
  }
  if ((method === 'nat' || method === 'fullnat') && realserver !== null) fail('realServers.realserver', `must be null for ${method}`);
  const routes = arr(r.routes, 'realServers.routes', fail).map((v, i) => {
    const f = `realServers.routes[${i}]`;
    const o = obj(v, f, fail);
    keys(o, ['to', 'via'], f, fail);
    return { to: cidr(o.to, `${f}.to`, fail, 4), via: addr(o.via, `${f}.via`, fail, 4) };
  });
  routes.forEach((rt, i) => {
    if (!Object.values(director.addresses).some((a) => a.ipv4 === rt.via)) fail(`realServers.routes[${i}].via`, `'${rt.via}' is not an address of the director`);
  });
  if (method === 'nat' && routes.length === 0) fail('realServers.routes', 'NAT needs the real servers to reach the clients through the director');

  const reals = hosts.filter((h) => h.role === 'real').map((h) => h.name);
  const checks = arr(top.checks, 'checks', fail).map((v, i) => {
    const f = `checks[${i}]`;
    const o = obj(v, f, fail);
    keys(o, ['url', 'requests', 'expect'], f, fail);
    const url = str(o.url, `${f}.url`, fail, /^http:\/\//);
    let host: string;
    try {
      host = new URL(url).hostname.replace(/^\[|\]$/g, '');
    } catch {
      return fail(`${f}.url`, `'${url}' is not a URL`);
    }
    if (host !== vip.ipv4 && host !== vip.ipv6) fail(`${f}.url`, `'${url}' does not name the VIP`);
    const requests = o.requests;
    if (typeof requests !== 'number' || !Number.isInteger(requests) || requests < 1 || requests > 1000) fail(`${f}.requests`, 'must be an integer from 1 to 1000');
    const expect = arr(o.expect, `${f}.expect`, fail).map((w, j) => str(w, `${f}.expect[${j}]`, fail));
    expect.forEach((e, j) => reals.includes(e) || fail(`${f}.expect[${j}]`, `'${e}' is not a real server`));
    return { url, requests: requests as number, expect };
  });
  if (checks.length === 0) fail('checks', 'at least one check is needed');

  return { name, method, summary: top.summary as string, networks, hosts, vip, director: { sysctls, localAddresses, attach, commands }, realServers: { realserver, routes }, checks };
}

function unique(values: string[], field: string, what: string, fail: Fail): void {
  const seen = new Set<string>();
  for (const v of values) {
    if (seen.has(v)) fail(field, `${what} '${v}' appears twice`);
    seen.add(v);
  }
}

/**
 * What can be checked of the director's commands without running them: every address is a
 * documentation address, every `-a` uses the scenario's forwarding switch and names a real
 * server's address, every `-z` is a declared local address. The CLI checks the rest.
 */
function checkCommands(commands: string[][], method: ScenarioMethod, hosts: ScenarioHost[], lips: { ipv4: string }[], fail: Fail): void {
  const realAddrs = new Set(hosts.filter((h) => h.role === 'real').flatMap((h) => Object.values(h.addresses).flatMap((a) => [a.ipv4, a.ipv6])));
  const bare = (w: string): string => w.replace(/^\[([^\]]+)\](:\d+)?$/, '$1').replace(/^(\d+\.\d+\.\d+\.\d+):\d+$/, '$1');
  commands.forEach((line, i) => {
    const f = `director.commands[${i}]`;
    line.forEach((w, j) => {
      const a = bare(w);
      const fam = isIP(a);
      if (fam === 4 || fam === 6) addr(a, `${f}[${j}]`, fail, fam);
    });
    if (line[0] === '-a' || line[0] === '--add-server') {
      const switches = Object.values(METHOD_FLAG).filter((s) => line.includes(s));
      if (switches.length !== 1 || switches[0] !== METHOD_FLAG[method]) fail(f, `a ${method} scenario adds real servers with ${METHOD_FLAG[method]}`);
      const r = line.indexOf('-r');
      if (r < 0 || !realAddrs.has(bare(line[r + 1] ?? ''))) fail(f, `-r must name a real server's address`);
    }
    const z = line.indexOf('-z');
    if (z >= 0 && !lips.some((l) => l.ipv4 === line[z + 1])) fail(f, `-z ${line[z + 1]} is not in director.localAddresses`);
  });
  if (method === 'fullnat' && lips.length === 0) fail('director.localAddresses', 'FULLNAT needs at least one local address');
}
