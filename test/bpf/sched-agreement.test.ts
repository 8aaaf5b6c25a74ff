// The data plane's schedulers against the reference model (src/sched/model.ts):
// the same seeded sequences of new connections, connection ends, weight changes,
// real additions and removals go to both, and every choice must be the same.
// twos is random: its choices must follow the model's exact distribution.
//
// The connection counts are the test's: before each packet it writes the model's
// active/inactive counts into lb_real_conns, so the schedulers are compared on
// the same input whatever conntrack's counting does meanwhile.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import {
  addr, connEntry, describeBpf, loadForTest, run, setupFibNetns, svcKey, type FibNetns, type TestDirector,
} from './harness.js';
import { udp } from './packets.js';
import { planAddReal, planAddService, planDeleteReal, planEditReal } from '../../src/plan/plan.js';
import { applyToState } from '../../src/plan/plan.js';
import { applyOps } from '../../src/bpf/apply.js';
import { setGcPaused } from '../../src/bpf/conns.js';
import { realsOf, type DpState, type RealEntry } from '../../src/plan/state.js';
import type { Op } from '../../src/plan/ops.js';
import { encode } from '../../src/bpf/codec.js';
import { lb_real_conns } from '../../src/bpf/generated/layout.js';
import { u32Key } from '../../src/bpf/map.js';
import { SCHEDULER_INFO } from '../../src/sched/registry.js';
import { modelPick, type ModelService } from '../../src/sched/model.js';
import { OverloadFlag } from '../../src/sched/overload.js';
import { twosProbabilities } from '../../src/sched/twos.js';
import type { DestView } from '../../src/sched/dest-view.js';
import type { Real, SchedFlag, SchedulerName, ServiceKey } from '../../src/model/types.js';
import type { Dataplane } from '../../src/bpf/dataplane.js';

const VIP = '192.0.2.10';
const POOL = Array.from({ length: 12 }, (_, i) => `192.0.2.${21 + i}`);

/** Deterministic PRNG (mulberry32), so a failing sequence can be replayed. */
function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = seed;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/*
 * The configuration as the planner sees it, kept here (readState scans every
 * lb_reals slot, far too slow to call per packet); the maps get the same ops.
 */
let state: DpState = { services: [], reals: [] };

function applyPlan(dp: Dataplane, plan: (s: DpState) => Op[]): Op[] {
  const ops = plan(state);
  applyOps(dp, ops);
  state = applyToState(state, ops);
  return ops;
}

interface Conn {
  real: number;
  active: boolean;
}

/** One service under test: the model's view and the data plane's, driven together. */
class Driver {
  readonly conns: Conn[] = [];
  readonly flags = new Map<number, OverloadFlag>();
  readonly model: ModelService;
  private port = 10000;
  choices = 0;

  constructor(private dp: Dataplane, readonly key: ServiceKey, readonly scheduler: SchedulerName, readonly schedFlags: SchedFlag[]) {
    applyPlan(dp, (s) => planAddService(s, { ...key, scheduler, onePacket: false, schedFlags }));
    this.model = {
      scheduler,
      dests: [],
      fallback: schedFlags.some((f) => f.endsWith('fallback')),
      port: schedFlags.some((f) => f.endsWith('-port')),
      cursor: 0,
    };
  }

  reals(): RealEntry[] {
    const svc = state.services.find((s) => s.key.port === this.key.port && s.key.protocol === this.key.protocol && s.key.addr.ip === this.key.addr.ip)!;
    return realsOf(state, svc.id);
  }

  private counts(id: number): { active: number; inactive: number } {
    const mine = this.conns.filter((c) => c.real === id);
    return { active: mine.filter((c) => c.active).length, inactive: mine.filter((c) => !c.active).length };
  }

  private total(id: number): number {
    return this.conns.filter((c) => c.real === id).length;
  }

  private thresholds(r: RealEntry) {
    return { upper: r.upperThreshold, lower: r.lowerThreshold };
  }

  /** The model's destination list, and lb_real_conns written to match it. */
  private sync(): RealEntry[] {
    const reals = this.reals();
    for (const r of reals) {
      const c = this.counts(r.id);
      this.dp.maps.lb_real_conns.update(u32Key(r.id), encode(lb_real_conns, { active: BigInt(c.active), inactive: BigInt(c.inactive), persist: 0n }));
    }
    this.model.dests = reals.map((r): DestView => ({
      id: r.id, weight: r.weight, seq: r.seq, ...this.counts(r.id),
      overloaded: this.flags.get(r.id)?.overloaded ?? false,
    }));
    const build = SCHEDULER_INFO[this.scheduler].table;
    this.model.table = build?.(reals.map((r) => ({ id: r.id, weight: r.weight, lastWeight: r.lastWeight ?? r.weight, addr: r.addr, port: r.port })));
    return reals;
  }

  /** A new connection from client (ip, port): returns [data plane's real, model's real]. */
  connect(client: string, sport = this.port++): [number | undefined, number | undefined] {
    const reals = this.sync();
    const expected = modelPick(this.model, { saddr: client, daddr: this.key.addr.ip, sport });
    run(this.progFd(), udp(client, this.key.addr.ip, sport, this.key.port), this.ifindex);
    const got = connEntry(this.dp, { proto: 'udp', src: client, dst: this.key.addr.ip, sport, dport: this.key.port })?.real_id;
    if (got !== undefined) {
      this.conns.push({ real: got, active: false });
      const r = reals.find((x) => x.id === got);
      if (r) {
        const f = this.flags.get(got) ?? new OverloadFlag();
        f.bind(this.total(got), this.thresholds(r)); // ip_vs_bind_dest()
        this.flags.set(got, f);
      }
    }
    this.choices++;
    return [got, expected];
  }

  establish(rand: () => number): void {
    const c = this.conns.filter((x) => !x.active);
    if (c.length) c[Math.floor(rand() * c.length)]!.active = true;
  }

  end(rand: () => number): void {
    if (!this.conns.length) return;
    const [c] = this.conns.splice(Math.floor(rand() * this.conns.length), 1);
    const r = this.reals().find((x) => x.id === c!.real);
    if (r) this.flags.get(r.id)?.unbind(this.total(r.id), this.thresholds(r)); // ip_vs_unbind_dest()
  }

  addReal(ip: string, weight: number, upper = 0, lower = 0): void {
    applyPlan(this.dp, (s) => planAddReal(s, this.key, this.real(ip, weight, upper, lower)));
  }

  setWeight(ip: string, weight: number): void {
    const cur = this.reals().find((r) => r.addr.ip === ip)!;
    applyPlan(this.dp, (s) => planEditReal(s, this.key, this.real(ip, weight, cur.upperThreshold, cur.lowerThreshold)));
  }

  deleteReal(ip: string): void {
    const cur = this.reals().find((r) => r.addr.ip === ip)!;
    applyPlan(this.dp, (s) => planDeleteReal(s, this.key, { addr: addr(ip), port: this.key.port }));
    // its connections go with it (IPVS: expire_nodest_conn)
    for (let i = this.conns.length - 1; i >= 0; i--) if (this.conns[i]!.real === cur.id) this.conns.splice(i, 1);
    this.flags.delete(cur.id);
  }

  private real(ip: string, weight: number, upper: number, lower: number): Real {
    return { addr: addr(ip), port: this.key.port, forward: 'dr', weight, upperThreshold: upper, lowerThreshold: lower };
  }

  progFd = (): number => 0;
  ifindex = 0;
}

const suite = describeBpf('sched-agreement');

suite('schedulers: data plane = reference model (BPF_PROG_TEST_RUN)', () => {
  let t: TestDirector | undefined;
  let net: FibNetns;
  let nextPort = 7000;

  beforeAll(() => {
    net = setupFibNetns();
    t = loadForTest();
    // the counts are the test's: the expiry sweep's recount must not correct them meanwhile
    setGcPaused(t.dp, true);
  });
  afterAll(() => t?.cleanup());

  function driver(scheduler: SchedulerName, schedFlags: SchedFlag[] = [], vip = VIP): Driver {
    const d = new Driver(t!.dp, svcKey('udp', vip, nextPort++), scheduler, schedFlags);
    d.progFd = () => t!.progFd;
    d.ifindex = net.ifindex;
    return d;
  }

  /** A seeded random sequence of every kind of event; returns the mismatches. */
  function sequence(d: Driver, seed: number, steps: number, opts: { thresholds?: boolean } = {}): string[] {
    const rand = prng(seed);
    const live = new Set<string>();
    const bad: string[] = [];
    const add = (ip: string): void => {
      const w = 1 + Math.floor(rand() * 4);
      const upper = opts.thresholds && rand() < 0.5 ? 2 + Math.floor(rand() * 4) : 0;
      const lower = upper && rand() < 0.5 ? Math.floor(rand() * upper) : 0;
      d.addReal(ip, w, upper, lower);
      live.add(ip);
    };
    for (const ip of POOL.slice(0, 4)) add(ip);
    for (let i = 0; i < steps; i++) {
      const x = rand();
      if (x < 0.55) {
        const client = `198.51.100.${1 + Math.floor(rand() * 250)}`;
        const [got, want] = d.connect(client);
        if (got !== want) {
          bad.push(`step ${i} ${client}: data plane ${got}, model ${want}`);
          if (process.env.SCHED_DEBUG) {
            const th = new Map(d.reals().map((r) => [r.id, `${r.upperThreshold}/${r.lowerThreshold}`]));
            console.log(d.scheduler, i, JSON.stringify(d.model.dests.map((x) => ({ ...x, th: th.get(x.id) }))));
          }
        }
      } else if (x < 0.7) d.establish(rand);
      else if (x < 0.85) d.end(rand);
      else if (x < 0.93) {
        const ips = [...live];
        if (ips.length) d.setWeight(ips[Math.floor(rand() * ips.length)]!, Math.floor(rand() * 5));
      } else if (x < 0.97) {
        const free = POOL.filter((ip) => !live.has(ip));
        if (free.length) add(free[Math.floor(rand() * free.length)]!);
      } else if (live.size > 1) {
        const ips = [...live];
        const ip = ips[Math.floor(rand() * ips.length)]!;
        d.deleteReal(ip);
        live.delete(ip);
      }
    }
    return bad;
  }

  const DETERMINISTIC: Array<[SchedulerName, SchedFlag[]]> = [
    ['lc', []], ['wlc', []], ['sed', []], ['nq', []], ['fo', []], ['ovf', []],
    ['lblc', []], ['lblcr', []], ['rr', []], ['wrr', []],
    ['sh', []], ['sh', ['sh-fallback']], ['sh', ['sh-port', 'sh-fallback']],
    ['dh', []], ['mh', []], ['mh', ['mh-fallback']], ['mh', ['mh-port', 'mh-fallback']],
  ];

  test.each(DETERMINISTIC.map(([s, f]) => [`${s}${f.length ? ` -b ${f.join(',')}` : ''}`, s, f] as const))(
    '%s: 300 random events, every choice identical',
    (_name, scheduler, flags) => {
      const d = driver(scheduler, flags);
      const bad = sequence(d, 0x5eed + nextPort, 300);
      expect(bad).toEqual([]);
      expect(d.choices).toBeGreaterThan(100);
    },
  );

  test.each(['lc', 'wlc', 'sed', 'nq', 'fo', 'ovf', 'sh', 'mh'] as SchedulerName[])(
    '%s with -x/-y thresholds: identical choices, overload flag as IPVS',
    (scheduler) => {
      const d = driver(scheduler, scheduler === 'sh' || scheduler === 'mh' ? [`${scheduler}-fallback` as SchedFlag] : []);
      expect(sequence(d, 0xface + nextPort, 300, { thresholds: true })).toEqual([]);
    },
  );

  test('mh over IPv6: the siphash of folded addresses agrees', () => {
    const d = new Driver(t!.dp, svcKey('udp', '2001:db8::10', nextPort++), 'mh', ['mh-fallback']);
    d.progFd = () => t!.progFd;
    d.ifindex = net.ifindex;
    ['2001:db8::21', '2001:db8::22', '2001:db8::23'].forEach((ip, i) => d.addReal(ip, i + 1));
    const bad: string[] = [];
    for (let i = 1; i < 120; i++) {
      const [got, want] = d.connect(`2001:db8:ffff::${i.toString(16)}`);
      if (got !== want) bad.push(`${i}: ${got} vs ${want}`);
    }
    expect(bad).toEqual([]);
  });

  test('no destination available: dropped and counted as LB_STAT_DROP_NO_REAL', () => {
    const d = driver('wlc');
    d.addReal(POOL[0]!, 0);
    const [got, want] = d.connect('198.51.100.1');
    expect(got).toBeUndefined();
    expect(want).toBeUndefined();
  });

  test('twos: choices follow the model distribution (3000 draws, 4 sigma)', () => {
    const d = driver('twos');
    d.addReal(POOL[0]!, 1);
    d.addReal(POOL[1]!, 2);
    d.addReal(POOL[2]!, 3);
    // fixed load: 2 active on the first two, none on the third
    const reals = d.reals();
    for (const r of reals.slice(1)) for (let k = 0; k < 2; k++) d.conns.push({ real: r.id, active: true });
    const n = 3000;
    const hist = new Map<number, number>();
    for (let i = 0; i < n; i++) {
      const [got] = d.connect(`198.51.100.${1 + (i % 250)}`, 20000 + i);
      d.conns.pop(); // keep the load fixed
      hist.set(got!, (hist.get(got!) ?? 0) + 1);
    }
    const probs = twosProbabilities(d.model.dests);
    for (const [id, p] of probs) {
      const freq = (hist.get(id) ?? 0) / n;
      const sigma = Math.sqrt((p * (1 - p)) / n);
      expect(Math.abs(freq - p)).toBeLessThan(4 * sigma + 1e-9);
    }
  });
});
