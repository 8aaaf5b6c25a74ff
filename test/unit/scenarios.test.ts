// The shared scenario description (lab/scenarios/*.json) and its two forms: the namespace
// lab's plan (src/lab/scenario-plan.ts) and the Vagrant lab (vagrant/Vagrantfile reads the
// files with JSON.parse, vagrant/provision/lib.sh with jq). Every scenario must load,
// validate, and come out the same on both sides.
import { afterAll, describe, expect, test } from '@jest/globals';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { parseLabArgs } from '../../src/lab/command.js';
import { describeStep, labUpPlan, type LabStep } from '../../src/lab/plan.js';
import { loadScenario, loadScenarioFile, METHODS, scenarioDir, scenarioNames, ScenarioError, type Scenario } from '../../src/lab/scenario.js';
import { directorArgv, scenarioLab, scenarioTopology, scenarioUpPlan } from '../../src/lab/scenario-plan.js';
import { TOPOLOGY } from '../../src/lab/topology.js';
import { repoRoot } from '../../src/util/paths.js';

const ROOT = repoRoot();
const NAMES = scenarioNames();
const all: [string, Scenario][] = NAMES.map((n) => [n, loadScenario(n)]);
const text = (steps: LabStep[]) => steps.map(describeStep);
const hasJq = spawnSync('jq', ['--version']).status === 0;

describe('scenario files', () => {
  test('one scenario per forwarding method, named after it', () => {
    expect(NAMES).toEqual([...METHODS].sort());
    for (const [n, s] of all) expect(s.method).toBe(n);
  });

  test.each(all)('%s: the director attaches to the VIP network; checks expect every real server', (_, s) => {
    expect(s.director.attach).toContain(s.vip.network);
    const reals = s.hosts.filter((h) => h.role === 'real').map((h) => h.name);
    for (const c of s.checks) expect([...c.expect].sort()).toEqual(reals);
  });

  test('DR describes exactly the lab `lvs-xdp lab up` builds', () => {
    expect(scenarioTopology(loadScenario('dr'))).toEqual(TOPOLOGY);
  });
});

describe('validation: one line naming the file and the field', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lvs-scenario-'));
  const base = JSON.parse(readFileSync(join(scenarioDir(), 'nat.json'), 'utf8'));
  const bad = (mutate: (j: any) => void, name = 'nat'): string => {
    const j = structuredClone(base);
    mutate(j);
    const f = join(dir, `${name}.json`);
    writeFileSync(f, JSON.stringify(j));
    try {
      loadScenarioFile(f);
    } catch (e) {
      expect(e).toBeInstanceOf(ScenarioError);
      const msg = (e as Error).message;
      expect(msg.split('\n')).toHaveLength(1);
      return msg;
    }
    throw new Error('accepted');
  };
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test.each([
    [(j: any) => (j.hosts[2].addresses.inside.ipv4 = '192.0.2.11'), "hosts[2].addresses.inside.ipv4: '192.0.2.11' is not in inside (198.51.100.0/24)"],
    [(j: any) => (j.hosts[0].addresses.lan.ipv4 = '10.0.0.1'), "hosts[0].addresses.lan.ipv4: '10.0.0.1' is outside the documentation ranges"],
    [(j: any) => (j.director.commands[1][5] = '-g'), 'director.commands[1]: a nat scenario adds real servers with -m'],
    [(j: any) => (j.director.commands[1][4] = '198.51.100.99:80'), "director.commands[1]: -r must name a real server's address"],
    [(j: any) => (j.director.attach = ['inside']), "director.attach: must include the VIP's network 'lan'"],
    [(j: any) => (j.hosts[0].role = 'director'), 'hosts: exactly one director is needed (found 2)'],
    [(j: any) => (j.vip.netwrok = 'lan'), 'vip.netwrok: unknown field'],
    [(j: any) => delete j.checks, 'checks: missing'],
    [(j: any) => (j.realServers.routes = []), 'realServers.routes: NAT needs the real servers to reach the clients through the director'],
    [(j: any) => (j.realServers.routes[0].via = '198.51.100.11'), "realServers.routes[0].via: '198.51.100.11' is not an address of the director"],
    [(j: any) => (j.checks[0].expect = ['rs1', 'dir']), "checks[0].expect[1]: 'dir' is not a real server"],
    [(j: any) => (j.hosts[1].addresses.wan = { ipv4: '203.0.113.2', ipv6: '2001:db8:2::2' }), "hosts[1].addresses.wan: no network 'wan'"],
  ])('%#', (mutate, message) => {
    // the file is named by its last three path parts: lab/scenarios/nat.json for the real ones
    expect(bad(mutate)).toBe(`${join(basename(dirname(dir)), basename(dir), 'nat.json')}: ${message}`);
  });

  test('the file name is the scenario name', () => {
    expect(bad(() => {}, 'other')).toMatch(/other\.json: name: 'nat' differs from the file name 'other'$/);
  });

  test('real files are named lab/scenarios/NAME.json; unknown scenarios list the known ones', () => {
    expect(() => loadScenario('nope')).toThrow('no scenario \'nope\' (available: dr, fullnat, nat, tun)');
  });
});

describe('namespace-lab form', () => {
  test.each(all)('%s: a plan builds every host, one bridge per network, and the director attaches', (_, s) => {
    const lab = scenarioLab(s, 'lxt1');
    const t = text(scenarioUpPlan(lab));
    s.networks.forEach((_, k) => expect(t).toContain(`[lxt1-sw] ip link add br${k} type bridge mcast_snooping 0`));
    for (const h of lab.hosts) {
      expect(t).toContain(`ip netns add ${h.netns}`);
      for (const i of h.ifaces) {
        expect(t).toContain(`[lxt1-sw] ip link add ${i.switchPort} type veth peer name ${i.ifname} netns ${h.netns}`);
        expect(t).toContain(`[lxt1-sw] ip link set ${i.switchPort} master ${i.bridge}`);
        expect(t).toContain(`[${h.netns}] ip addr add ${i.ipv4}/${s.networks.find((n) => n.name === i.network)!.ipv4.split('/')[1]} dev ${i.ifname}`);
      }
    }
    expect(t.filter((l) => l.includes(`${s.vip.ipv4}/32`))).toEqual([`[lxt1-dir] ip addr add ${s.vip.ipv4}/32 dev eth0 label eth0:0`]);
    expect(directorArgv(lab)).toEqual([['attach', ...lab.attach], ...s.director.commands]);
  });

  test('DR: the same steps as `lvs-xdp lab up`', () => {
    expect(scenarioUpPlan(scenarioLab(loadScenario('dr'), 'lxt1'))).toEqual(labUpPlan({ prefix: 'lxt1' }));
  });

  test('TUN: real servers are set up in tun mode', () => {
    const t = text(scenarioUpPlan(scenarioLab(loadScenario('tun'), 'lxt1')));
    expect(t).toContain('[lxt1-rs1] lvs-xdp realserver up --vip 192.0.2.10 --mode tun');
  });

  test('NAT: two segments, the director on both, real servers route the clients through it', () => {
    const lab = scenarioLab(loadScenario('nat'), 'lxt1');
    const t = text(scenarioUpPlan(lab));
    expect(lab.attach).toEqual(['eth0', 'eth1']);
    expect(t).toContain('[lxt1-sw] ip link add lxt1-dir1 type veth peer name eth1 netns lxt1-dir');
    expect(t).toContain('[lxt1-sw] ip link set lxt1-dir1 master br1');
    expect(t).toContain('[lxt1-sw] ip link set lxt1-rs1 master br1');
    expect(t).toContain('[lxt1-sw] ip link set lxt1-client master br0');
    expect(t).toContain('[lxt1-dir] sysctl -q -w net.ipv4.ip_forward=1');
    expect(t).toContain('[lxt1-rs2] ip route replace 192.0.2.0/24 via 198.51.100.2');
    expect(t.some((l) => l.includes('realserver up'))).toBe(false);
    // each host's loopback is brought up once, however many networks it is on
    expect(t.filter((l) => l === '[lxt1-dir] ip link set lo up')).toHaveLength(1);
  });

  test('FULLNAT: the local address sits on the director\'s inside interface', () => {
    const t = text(scenarioUpPlan(scenarioLab(loadScenario('fullnat'), 'lxt1')));
    expect(t).toContain('[lxt1-dir] ip addr add 198.51.100.3/32 dev eth1');
    expect(t.some((l) => l.includes('route replace') || l.includes('realserver up'))).toBe(false);
  });

  test('interface names fit IFNAMSIZ with the longest prefix; longer ones are refused', () => {
    for (const [, s] of all) for (const h of scenarioLab(s, 'abcdefgh').hosts) for (const i of h.ifaces) expect(i.switchPort.length).toBeLessThanOrEqual(15);
    expect(() => scenarioLab(loadScenario('nat'), 'abcdefghi')).toThrow(/illegal lab prefix/);
  });

  test('lab up --scenario', () => {
    expect(parseLabArgs(['up', '--scenario', 'nat', '--prefix', 'lxt9'])).toEqual({ action: 'up', prefix: 'lxt9', servers: 'name', scenario: 'nat' });
    expect(parseLabArgs(['up', '--scenario=dr', '--no-check'])).toMatchObject({ scenario: 'dr', noCheck: true });
    expect(() => parseLabArgs(['down', '--scenario', 'dr'])).toThrow(/unknown option '--scenario'/);
    expect(() => parseLabArgs(['up', '--scenario'])).toThrow(/needs a value/);
  });
});

describe('Vagrant form', () => {
  const vagrantfile = readFileSync(join(ROOT, 'vagrant', 'Vagrantfile'), 'utf8');

  test('the Vagrantfile loads lab/scenarios/$LVS_MODE.json generically, no scenario by name', () => {
    expect(vagrantfile).toMatch(/File\.expand_path\('\.\.\/lab\/scenarios', __dir__\)/);
    expect(vagrantfile).toMatch(/ENV\.fetch\('LVS_MODE', 'dr'\)/);
    expect(vagrantfile).toMatch(/JSON\.parse\(File\.read\(SCENARIO_FILE\)\)/);
    expect(vagrantfile).toMatch(/Dir\.glob\(File\.join\(SCENARIO_DIR, '\*\.json'\)\)/);
    expect(vagrantfile).not.toMatch(/192\.0\.2|198\.51\.100|2001:db8|'rs1'|"rs1"/);
    expect(vagrantfile).toMatch(/config\.vm\.box_version = BOX_VERSION/);
    expect(vagrantfile).toMatch(/BOX_VERSION = '12\.\d{8}\.\d+'/);
    for (const role of ['client', 'director', 'real']) expect(readFileSync(join(ROOT, 'vagrant', 'provision', `${role}.sh`), 'utf8')).toMatch(/lib\.sh/);
  });

  test.each(all)('%s: every field the Vagrantfile reads is there', (_, s) => {
    const keys = [...vagrantfile.matchAll(/\['([a-zA-Z0-9]+)'\]/g)].map((m) => m[1]!);
    expect(new Set(keys)).toEqual(new Set(['hosts', 'networks', 'name', 'role', 'addresses', 'ipv4']));
    for (const h of s.hosts) {
      expect(['client', 'director', 'real']).toContain(h.role);
      for (const n of Object.keys(h.addresses)) expect(s.networks.map((x) => x.name)).toContain(n);
    }
    for (const n of s.networks) expect(n.ipv4).toMatch(/\/\d+$/);
  });

  const lib = join(ROOT, 'vagrant', 'provision', 'lib.sh');
  const sh = (s: string, host: string, fn: string): string[] => {
    const out = execFileSync('bash', ['-c', `. "${lib}"; ${fn}`], {
      env: { ...process.env, LVS_SCENARIO: join(scenarioDir(), `${s}.json`), LVS_HOST: host },
      encoding: 'utf8',
    });
    return out.split('\n').filter((l) => l !== '');
  };
  if (!hasJq) console.warn('scenarios: provisioning-side checks skipped: jq is not installed (apt-get install jq)');
  const maybe = hasJq ? test.each(all) : test.skip.each(all);

  maybe('%s: the provisioning scripts read the same commands and setup (lib.sh with jq)', (n, s) => {
    const rs = s.hosts.find((h) => h.role === 'real')!;
    expect(sh(n, 'dir', 'director_commands').map((l) => JSON.parse(l))).toEqual(s.director.commands);
    expect(sh(n, 'dir', 'director_attach_networks')).toEqual(s.director.attach);
    expect(sh(n, 'dir', 'director_sysctls')).toEqual(s.director.sysctls);
    expect(sh(n, 'dir', 'director_local_addresses')).toEqual(s.director.localAddresses.map((l) => `${l.network} ${l.ipv4}`));
    expect(sh(n, 'dir', 'vip_network; vip_addr ipv4; vip_addr ipv6')).toEqual([s.vip.network, s.vip.ipv4, s.vip.ipv6]);
    const setup = s.realServers.realserver;
    expect(sh(n, rs.name, 'realserver_args')).toEqual(setup ? [...setup.vips.flatMap((v) => ['--vip', v]), '--mode', setup.mode] : []);
    expect(sh(n, rs.name, 'real_routes')).toEqual(s.realServers.routes.map((r) => `${r.to} ${r.via}`));
    for (const h of s.hosts) {
      const nets = s.networks.filter((x) => h.addresses[x.name]).map((x) => x.name);
      expect(sh(n, h.name, 'host_role; host_networks')).toEqual([h.role, ...nets]);
      for (const net of nets) {
        expect(sh(n, h.name, `host_addr ${net} ipv4; host_addr ${net} ipv6; net_prefix_len ${net} ipv6`)).toEqual([
          h.addresses[net]!.ipv4, h.addresses[net]!.ipv6, s.networks.find((x) => x.name === net)!.ipv6.split('/')[1],
        ]);
      }
    }
    expect(sh(n, 'client', 'scenario_checks').map((l) => JSON.parse(l))).toEqual(s.checks);
  });

  test.each(all)('%s: TOPOLOGY.md shows every address of the scenario', (_, s) => {
    const doc = readFileSync(join(ROOT, 'TOPOLOGY.md'), 'utf8');
    const addrs = [
      ...s.networks.flatMap((n) => [n.ipv4, n.ipv6]),
      ...s.hosts.flatMap((h) => Object.values(h.addresses).flatMap((a) => [a.ipv4, a.ipv6])),
      s.vip.ipv4, s.vip.ipv6,
      ...s.director.localAddresses.map((l) => l.ipv4),
    ];
    for (const a of addrs) expect(doc).toContain(a);
    expect(doc).toContain(`LVS_MODE=${s.name}`);
    expect(doc).toContain(`--scenario ${s.name}`);
  });
});
