// Harness of the data-plane suites: the compiled director fed packets through
// BPF_PROG_TEST_RUN (nothing is ever sent), configured through the real control
// plane path (readState → plan → applyOps), with the kernel's FIB and neighbour
// tables of a private network namespace answering bpf_fib_lookup.
//
// The suite must run in a namespace of its own (scripts/run-tests.sh wraps jest in
// `unshare --net`): it creates a veth pair and neighbour entries, and it refuses to
// touch interfaces anywhere else.
import { describe } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { isIPv4 } from 'node:net';
import { BpfError, check, libbpf } from '../../src/bpf/ffi/libbpf.js';
import { loadDirector } from '../../src/bpf/object.js';
import type { IcmpLimits } from '../../src/net/icmp-limits.js';
import { ensurePinDir, pinPaths } from '../../src/bpf/pins.js';
import { Dataplane } from '../../src/bpf/dataplane.js';
import { readCounters, readGlobalStats, readState } from '../../src/bpf/state.js';
import { isVerdict } from '../../src/bpf/stat-names.js';
import { applyOps } from '../../src/bpf/apply.js';
import { planAddReal, planAddService, planDeleteReal, planEditReal } from '../../src/plan/plan.js';
import { encode, decode } from '../../src/bpf/codec.js';
import { addrToWords, familyCode } from '../../src/bpf/addr.js';
import { lb_conn, lb_conn_key, lb_stat } from '../../src/bpf/generated/layout.js';
import { directorObject } from '../../src/util/paths.js';
import type { Addr, Protocol, Real, SchedulerName, ServiceKey, Stats } from '../../src/model/types.js';
import type { DpState } from '../../src/plan/state.js';
import type { Op } from '../../src/plan/ops.js';


export const XDP_ABORTED = 0;
export const XDP_DROP = 1;
export const XDP_PASS = 2;
export const XDP_TX = 3;
export const XDP_REDIRECT = 4;
export const VERDICT_NAME = ['XDP_ABORTED', 'XDP_DROP', 'XDP_PASS', 'XDP_TX', 'XDP_REDIRECT'];

export const IF_LB = 'lbt0';
export const IF_PEER = 'lbt1';
export const LB_MAC = '02:00:00:00:00:02';
export const LB_IP4 = '192.0.2.2';
export const LB_IP6 = '2001:db8::2';
/** Real servers with PERMANENT neighbour entries: address → MAC. */
export const REALS4 = ['192.0.2.11', '192.0.2.12', '192.0.2.13'];
export const REALS6 = ['2001:db8::11', '2001:db8::12', '2001:db8::13'];
export const REAL_MAC: Record<string, string> = {
  '192.0.2.11': '02:00:00:00:00:11',
  '192.0.2.12': '02:00:00:00:00:12',
  '192.0.2.13': '02:00:00:00:00:13',
  '2001:db8::11': '02:00:00:00:00:11',
  '2001:db8::12': '02:00:00:00:00:12',
  '2001:db8::13': '02:00:00:00:00:13',
};
/** On the link, but never given a neighbour entry. */
export const UNRESOLVED4 = '192.0.2.14';
export const UNRESOLVED6 = '2001:db8::14';

/** init_net's namespace inode (PROC_NET_INIT_INO in include/linux/proc_ns.h). */
const INIT_NET_INO = 0xeffffff9;

export class NotPrivateNetnsError extends Error {}

function netnsInode(path: string): number | undefined {
  try {
    return statSync(path).ino;
  } catch {
    return undefined; // /proc/1 may be unreadable in containers
  }
}

/**
 * Why this process must not build its veth here, or undefined when it may: only
 * in a network namespace that is neither the host's (init_net, or pid 1's) nor
 * holding any interface but loopback and our own.
 */
export function notPrivateNetns(): string | undefined {
  const self = netnsInode('/proc/self/ns/net');
  if (self === undefined) return 'cannot read /proc/self/ns/net';
  if (self === INIT_NET_INO) return "this is the host's network namespace (init_net)";
  if (self === netnsInode('/proc/1/ns/net')) return "this is pid 1's network namespace";
  // Through netlink: /sys/class/net shows the namespace sysfs was mounted in.
  let names: string[];
  try {
    names = links().map((l) => l.ifname);
  } catch (e) {
    return `cannot list interfaces (${(e as Error).message.split('\n')[0]})`;
  }
  const foreign = names.filter((n) => n !== 'lo' && n !== IF_LB && n !== IF_PEER);
  if (foreign.length) return `the network namespace has other interfaces (${foreign.join(', ')})`;
  return undefined;
}

/** Why the bpf suites cannot run here (they then skip), or undefined. */
export function bpfSuiteUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'not root (BPF_PROG_TEST_RUN and veth need root)';
  const ns = notPrivateNetns();
  if (ns) {
    return `${ns}; run the bpf suite in a private one: unshare --net -- bash -c 'ip link set lo up; NODE_OPTIONS=--experimental-vm-modules npx jest --selectProjects bpf' (scripts/run-tests.sh does)`;
  }
  return undefined;
}

/**
 * describe, or describe.skip with the reason on stderr (jest hides console output
 * of a file whose tests are all skipped, so the message goes around it).
 */
export function describeBpf(suite: string): typeof describe | typeof describe.skip {
  const why = bpfSuiteUnavailable();
  if (!why) return describe;
  process.stderr.write(`bpf ${suite}: skipped: ${why}\n`);
  return describe.skip;
}

function ip(...args: string[]): string {
  return execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 10_000 });
}

interface LinkJson {
  ifindex: number;
  ifname: string;
  address?: string;
}

function links(): LinkJson[] {
  return JSON.parse(ip('-j', 'link', 'show')) as LinkJson[];
}

function linkExists(name: string): boolean {
  return links().some((l) => l.ifname === name);
}

export interface FibNetns {
  ifindex: number;
  mac: string;
}

/**
 * lbt0 (192.0.2.2/24, 2001:db8::2/64, forwarding on) with PERMANENT neighbours for
 * the reals. Idempotent: several suite files share one namespace (jest workers).
 */
export function setupFibNetns(): FibNetns {
  const why = notPrivateNetns();
  if (why) throw new NotPrivateNetnsError(`refusing to create interfaces: ${why}`);
  ip('link', 'set', 'lo', 'up');
  if (!linkExists(IF_LB)) {
    try {
      ip('link', 'add', IF_LB, 'address', LB_MAC, 'type', 'veth', 'peer', 'name', IF_PEER);
    } catch (e) {
      if (!linkExists(IF_LB)) throw e; // another worker made it meanwhile: fine
    }
  }
  ip('link', 'set', IF_LB, 'address', LB_MAC);
  ip('link', 'set', IF_LB, 'up');
  ip('link', 'set', IF_PEER, 'up');
  ip('addr', 'replace', `${LB_IP4}/24`, 'dev', IF_LB);
  ip('-6', 'addr', 'replace', `${LB_IP6}/64`, 'dev', IF_LB, 'nodad');
  execFileSync('sysctl', ['-q', '-w', `net.ipv4.conf.${IF_LB}.forwarding=1`, `net.ipv6.conf.${IF_LB}.forwarding=1`], { timeout: 10_000 });
  for (const rip of [...REALS4, ...REALS6]) {
    ip(...(isIPv4(rip) ? [] : ['-6']), 'neigh', 'replace', rip, 'lladdr', REAL_MAC[rip]!, 'dev', IF_LB, 'nud', 'permanent');
  }
  const lb = links().find((l) => l.ifname === IF_LB);
  if (!lb?.address) throw new Error(`${IF_LB} vanished while being set up`);
  return { ifindex: lb.ifindex, mac: lb.address };
}

export interface TestDirector {
  progFd: number;
  dp: Dataplane;
  pinDir: string;
  cleanup(): void;
}

let loads = 0;
const PIN_PREFIX = 'lvs-xdp-test-';

/** Pin directories left by test processes that died before their afterAll. */
function sweepStalePins(): void {
  for (const name of readdirSync('/sys/fs/bpf')) {
    const pid = Number(/^lvs-xdp-test-(\d+)-\d+$/.exec(name)?.[1]);
    if (!pid || pid === process.pid) continue;
    try {
      process.kill(pid, 0);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ESRCH') rmSync(`/sys/fs/bpf/${name}`, { recursive: true, force: true });
    }
  }
}

/** The director loaded into a fresh pin directory of its own. */
export function loadForTest(connSize = 65536, icmpLimits?: IcmpLimits): TestDirector {
  const objPath = directorObject();
  if (!existsSync(objPath)) throw new Error(`${objPath} is missing: run make build first`);
  const pins = pinPaths(`/sys/fs/bpf/${PIN_PREFIX}${process.pid}-${++loads}`);
  ensurePinDir(pins); // mounts bpffs when needed
  sweepStalePins();
  rmSync(pins.dir, { recursive: true, force: true }); // left by an earlier process of our pid
  ensurePinDir(pins);
  let prog: ReturnType<typeof loadDirector> | undefined;
  let dp: Dataplane | undefined;
  const cleanup = (): void => {
    dp?.close();
    prog?.close();
    dp = undefined;
    prog = undefined;
    rmSync(pins.dir, { recursive: true, force: true });
  };
  try {
    prog = loadDirector({ objPath, pins, connSize, icmpLimits });
    dp = Dataplane.open(pins);
    return { progFd: prog.progFd, dp, pinDir: pins.dir, cleanup };
  } catch (e) {
    cleanup();
    throw e;
  }
}

export interface RunResult {
  verdict: number;
  out: Buffer;
}

/** sizeof(struct bpf_test_run_opts) in libbpf 1.x on LP64 (the koffi struct's layout). */
const TEST_RUN_OPTS_SIZE = 80;
/** sizeof(struct xdp_md) */
const XDP_MD_SIZE = 24;

/** One run of the program over packet, as received on ingressIfindex. */
export function run(progFd: number, packet: Buffer, ingressIfindex = 0): RunResult {
  const out = Buffer.alloc(packet.length + 4096);
  const ctx = Buffer.alloc(XDP_MD_SIZE);
  ctx.writeUInt32LE(0, 0); // data: no metadata in front
  ctx.writeUInt32LE(packet.length, 4); // data_end
  ctx.writeUInt32LE(ingressIfindex, 12);
  const opts = {
    sz: TEST_RUN_OPTS_SIZE,
    data_in: packet.length ? packet : Buffer.alloc(1),
    data_out: out,
    data_size_in: packet.length,
    data_size_out: out.length,
    ctx_in: ctx,
    ctx_out: null,
    ctx_size_in: ctx.length,
    ctx_size_out: 0,
    retval: 0,
    repeat: 1,
    duration: 0,
    flags: 0,
    cpu: 0,
    batch_size: 0,
  };
  check(libbpf().bpf_prog_test_run_opts(progFd, opts), 'bpf_prog_test_run_opts');
  return { verdict: opts.retval, out: Buffer.from(out.subarray(0, opts.data_size_out)) };
}

export function isEinval(e: unknown): boolean {
  return e instanceof BpfError && e.errno === 22;
}

// ---- configuration through the control plane ----------------------------------

export function addr(ipText: string): Addr {
  return { family: isIPv4(ipText) ? 'inet' : 'inet6', ip: ipText };
}

export function svcKey(protocol: Protocol, vip: string, port: number): ServiceKey {
  return { protocol, addr: addr(vip), port };
}

/** One ipvsadm command as the CLI runs it: read the maps, plan, apply. Returns the plan. */
export function applyPlan(dp: Dataplane, plan: (s: DpState) => Op[]): Op[] {
  const ops = plan(readState(dp));
  applyOps(dp, ops);
  return ops;
}

function dr(rip: string, port: number, weight: number): Real {
  return { addr: addr(rip), port, forward: 'dr', weight, upperThreshold: 0, lowerThreshold: 0 };
}

/** ipvsadm -A; returns the service id. */
export function addService(dp: Dataplane, key: ServiceKey, scheduler: SchedulerName = 'rr'): number {
  const ops = applyPlan(dp, (s) => planAddService(s, { ...key, scheduler, onePacket: false, schedFlags: [] }));
  const put = ops.find((o) => o.op === 'put-service');
  if (put?.op !== 'put-service') throw new Error('planAddService wrote no service');
  return put.svc.id;
}

/** ipvsadm -a -g -w weight; returns the real's id. DR keeps the service's port. */
export function addReal(dp: Dataplane, key: ServiceKey, rip: string, weight = 1): number {
  const ops = applyPlan(dp, (s) => planAddReal(s, key, dr(rip, key.port, weight)));
  const put = ops.find((o) => o.op === 'put-real');
  if (put?.op !== 'put-real') throw new Error('planAddReal wrote no real');
  return put.real.id;
}

/** ipvsadm -e -g -w weight */
export function editReal(dp: Dataplane, key: ServiceKey, rip: string, weight: number): Op[] {
  return applyPlan(dp, (s) => planEditReal(s, key, dr(rip, key.port, weight)));
}

/** ipvsadm -d */
export function deleteReal(dp: Dataplane, key: ServiceKey, rip: string): Op[] {
  return applyPlan(dp, (s) => planDeleteReal(s, key, { addr: addr(rip), port: key.port }));
}

// ---- reading what the program did --------------------------------------------

export type StatName = Exclude<keyof typeof lb_stat, 'LB_STAT__MAX'>;
const STAT_NAMES = Object.keys(lb_stat).filter((k) => k !== 'LB_STAT__MAX') as StatName[];

/** All global counters by name. */
export function globalStats(dp: Dataplane): Record<StatName, bigint> {
  const v = readGlobalStats(dp, lb_stat.LB_STAT__MAX);
  return Object.fromEntries(STAT_NAMES.map((n) => [n, v[lb_stat[n]]!])) as Record<StatName, bigint>;
}

/** Counters that changed between two readings, as {name: delta} (plain numbers). */
export function statDelta(before: Record<StatName, bigint>, after: Record<StatName, bigint>): Partial<Record<StatName, number>> {
  const d: Partial<Record<StatName, number>> = {};
  for (const n of STAT_NAMES) if (after[n] !== before[n]) d[n] = Number(after[n] - before[n]);
  return d;
}

/**
 * Runs one packet and returns what it did to the global counters. Checks on every call
 * the counters' rule (lb_shared.h, src/bpf/stat-names.ts isVerdict): exactly one verdict
 * counter moved, by one; the metrics' packet totals rely on it.
 */
export function runCounted(t: TestDirector, packet: Buffer, ifindex: number): RunResult & { delta: Partial<Record<StatName, number>> } {
  const before = globalStats(t.dp);
  const r = run(t.progFd, packet, ifindex);
  const delta = statDelta(before, globalStats(t.dp));
  const verdicts = Object.entries(delta).filter(([n]) => isVerdict(n.replace(/^LB_STAT_/, '').toLowerCase()));
  if (verdicts.length !== 1 || verdicts[0]![1] !== 1) {
    throw new Error(`not exactly one verdict counted for one packet: ${JSON.stringify(delta)}`);
  }
  return { ...r, delta };
}

export function svcCounters(dp: Dataplane, svcId: number): Stats {
  return readCounters(dp.maps.lb_svc_stats, svcId);
}

export function realCounters(dp: Dataplane, realId: number): Stats {
  return readCounters(dp.maps.lb_real_stats, realId);
}

export interface FlowTuple {
  proto: Protocol;
  src: string;
  dst: string;
  sport: number;
  dport: number;
}

/** The lb_conns key of a client-side flow. */
export function connKey(f: FlowTuple): Buffer {
  return encode(lb_conn_key, {
    saddr: addrToWords(addr(f.src)),
    daddr: addrToWords(addr(f.dst)),
    sport: f.sport,
    dport: f.dport,
    proto: f.proto === 'tcp' ? 6 : 17,
    family: familyCode(addr(f.dst).family),
  });
}

/** The conntrack entry of a client-side 5-tuple, decoded; undefined when none. */
export function connEntry(dp: Dataplane, f: FlowTuple) {
  const v = dp.maps.lb_conns.lookup(connKey(f));
  return v && decode(lb_conn, v);
}

/** The real whose MAC a forwarded frame carries, by our neighbour table. */
export function realOfMac(macText: string, family: 'inet' | 'inet6'): string | undefined {
  return Object.keys(REAL_MAC).find((ip) => REAL_MAC[ip] === macText && isIPv4(ip) === (family === 'inet'));
}
