// The forwarding benchmark's packet generator: runs xdp_gen (bench/gen.bpf.c) with
// BPF_PROG_RUN and BPF_F_TEST_XDP_LIVE_FRAMES on the generator's veth, so every run
// of the program is a real frame transmitted (XDP_TX) to the director; the rate is
// read where the frames arrive, from the sinks' per-CPU counter (on the real server's
// veth, or the client's for replies).
// Run inside the generator's network namespace (ingress_ifindex is resolved there):
//
//   nsenter --net=/run/netns/NS node dist/bench/pktgen.js --pins DIR --dev c0 \
//     --dmac MAC --smac MAC --saddr IP --daddr IP --dport N [--flows 256]
//     [--sport-base 10000] [--step sport|dport] [--seconds 2] [--runs 3] [--warmup 0.5]
//
// The flows step the source port from --sport-base to the fixed --dport (clients to a
// service), or with --step dport the destination port from --dport, from the fixed
// --sport-base (a server's replies to those clients).
//
// DIR is where `bpftool prog loadall .output/bench/gen.bpf.o DIR/progs pinmaps DIR/maps`
// pinned the programs and maps. Prints one JSON line: the sink's rate of every run
// (packets per second), what was sent, and the median. Fails (exit 1) when nothing
// arrives: a benchmark that measured a broken path is no figure.
import { join } from 'node:path';
import { check, libbpf } from '../src/bpf/ffi/libbpf.js';
import { BpfMap, u32Key } from '../src/bpf/map.js';

class PktgenError extends Error {}

const BPF_F_TEST_XDP_LIVE_FRAMES = 1 << 1; // include/uapi/linux/bpf.h
const TEST_RUN_OPTS_SIZE = 80;             // sizeof(struct bpf_test_run_opts), libbpf 1.1+
const REPEAT = 1 << 20;
const BATCH = 64;
const FRAME_LEN = 64;
const XDP_MD_SIZE = 24;                    // struct xdp_md: 6 x u32
const MAX_CALLS = 400;                     // bound on syscalls per timed run

function args(): Record<string, string> {
  const out: Record<string, string> = {};
  const a = process.argv.slice(2);
  for (let i = 0; i < a.length; i += 2) {
    if (!a[i]!.startsWith('--') || a[i + 1] === undefined) throw new PktgenError(`pktgen: bad argument ${a[i]}`);
    out[a[i]!.slice(2)] = a[i + 1]!;
  }
  for (const k of ['pins', 'dev', 'dmac', 'smac', 'saddr', 'daddr', 'dport']) {
    if (!out[k]) throw new PktgenError(`pktgen: --${k} is required`);
  }
  return out;
}

const macBytes = (m: string) => Buffer.from(m.split(':').map((x) => parseInt(x, 16)));
const ipBytes = (a: string) => Buffer.from(a.split('.').map(Number));
const median = (xs: number[]) => [...xs].sort((p, q) => p - q)[Math.floor(xs.length / 2)]!;

const GEN_F_STEP_DPORT = 1; // bench/gen.bpf.c

/** struct gen_cfg (bench/gen.bpf.c): dmac, smac, saddr, daddr, sport_base, dport, nflows, flags, seq. */
function genCfg(o: Record<string, string>): Buffer {
  const step = o.step ?? 'sport';
  if (step !== 'sport' && step !== 'dport') throw new PktgenError(`pktgen: --step is sport or dport, not ${step}`);
  const b = Buffer.alloc(40);
  macBytes(o.dmac!).copy(b, 0);
  macBytes(o.smac!).copy(b, 6);
  ipBytes(o.saddr!).copy(b, 12);
  ipBytes(o.daddr!).copy(b, 16);
  b.writeUInt16LE(Number(o['sport-base'] ?? 10000), 20);
  b.writeUInt16LE(Number(o.dport), 22);
  b.writeUInt32LE(Number(o.flows ?? 256), 24);
  b.writeUInt32LE(step === 'dport' ? GEN_F_STEP_DPORT : 0, 28);
  b.writeBigUInt64LE(0n, 32);
  return b;
}

function main(): void {
  const o = args();
  const lib = libbpf();
  const progPath = join(o.pins!, 'progs', 'xdp_gen');
  const progFd = check(lib.bpf_obj_get(progPath), `open ${progPath}`);
  const genState = new BpfMap(check(lib.bpf_obj_get(join(o.pins!, 'maps', 'gen_state')), 'open gen_state'), 'gen_state');
  const sink = new BpfMap(check(lib.bpf_obj_get(join(o.pins!, 'maps', 'sink_cnt')), 'open sink_cnt'), 'sink_cnt');
  const ifindex = lib.if_nametoindex(o.dev!) as number;
  if (!ifindex) throw new PktgenError(`pktgen: no interface ${o.dev} in this network namespace`);
  genState.update(u32Key(0), genCfg(o));

  const sinkTotal = (): bigint => {
    const v = sink.lookup(u32Key(0))!;
    let s = 0n;
    for (let off = 0; off < v.length; off += sink.slotBytes) s += v.readBigUInt64LE(off);
    return s;
  };
  // The frame's content is rewritten by xdp_gen on every run; this is only the
  // initial page content and the length.
  const frame = Buffer.alloc(FRAME_LEN);
  const ctx = Buffer.alloc(XDP_MD_SIZE);
  ctx.writeUInt32LE(FRAME_LEN, 4);   // data_end
  ctx.writeUInt32LE(ifindex, 12);    // ingress_ifindex
  const runOnce = (): void => {
    const opts = {
      sz: TEST_RUN_OPTS_SIZE, data_in: frame, data_out: null, data_size_in: FRAME_LEN, data_size_out: 0,
      ctx_in: ctx, ctx_out: null, ctx_size_in: XDP_MD_SIZE, ctx_size_out: 0, retval: 0, repeat: REPEAT,
      duration: 0, flags: BPF_F_TEST_XDP_LIVE_FRAMES, cpu: 0, batch_size: BATCH,
    };
    check(lib.bpf_prog_test_run_opts(progFd, opts), 'bpf_prog_test_run_opts (live frames)');
  };
  const timed = (seconds: number) => {
    const s0 = sinkTotal();
    const t0 = process.hrtime.bigint();
    const limit = t0 + BigInt(Math.round(seconds * 1e9));
    let calls = 0;
    while (process.hrtime.bigint() < limit && calls < MAX_CALLS) { runOnce(); calls++; }
    const t1 = process.hrtime.bigint();
    const s1 = sinkTotal();
    const secs = Number(t1 - t0) / 1e9;
    return { pps: Number(s1 - s0) / secs, sent: calls * REPEAT, arrived: Number(s1 - s0), secs };
  };

  const seconds = Number(o.seconds ?? 2), runs = Number(o.runs ?? 3), warmup = Number(o.warmup ?? 0.5);
  timed(warmup); // conntrack warm, pages in the pool, caches
  const res = Array.from({ length: runs }, () => timed(seconds));
  const arrived = res.reduce((s, r) => s + r.arrived, 0);
  if (arrived === 0) {
    throw new PktgenError(`pktgen: sent ${res.reduce((s, r) => s + r.sent, 0)} frames, none reached the sink (path broken)`);
  }
  const pps = res.map((r) => Math.round(r.pps));
  console.log(JSON.stringify({ pps, median: median(pps), sent: res.map((r) => r.sent), arrived: res.map((r) => r.arrived),
    deliveredShare: Number((arrived / res.reduce((s, r) => s + r.sent, 0)).toFixed(3)) }));
}

try {
  main();
} catch (e) {
  console.error((e as Error).message);
  process.exit(1);
}
