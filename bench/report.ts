// Markdown sections of BENCHMARKS.md from the raw results of bench/forward.sh and
// bench/tcp.sh: each figure next to its denominator, the ratio, the goal, met or not.
// Numbers never fail anything here; a missing measurement does (exit 1).
//
//   node dist/bench/report.js forward FILE.tsv    (NAME \t pktgen JSON)
//   node dist/bench/report.js tcp FILE.tsv        (PATH \t keepalive|close \t req/s \t errors)
import { readFileSync } from 'node:fs';

class ReportError extends Error {}

export interface Goal { min: number; text: string }
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const fmt = (n: number, d = 0): string => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
const mpps = (n: number): string => `${(n / 1e6).toFixed(2)} Mpps`;
const ratioText = (r: number, asPercent: boolean): string => (asPercent ? `${(r * 100).toFixed(1)} %` : `${r.toFixed(2)}×`);
const met = (r: number, g: Goal): string => (r >= g.min ? '**met**' : 'not met');
/** Median of the per-round ratios a[i]/b[i]: each round's pair ran back to back, so
 * drift and other work on the machine cancel within a pair. */
const pairedRatio = (a: number[], b: number[]): number => median(a.slice(0, Math.min(a.length, b.length)).map((x, i) => x / b[i]!));

function rows(file: string): string[][] {
  return readFileSync(file, 'utf8').split('\n').filter((l) => l.trim()).map((l) => l.split('\t'));
}

function need<T>(v: T | undefined, what: string): T {
  if (v === undefined) throw new ReportError(`report: no measurement of ${what}`);
  return v;
}

const PROGRAM_TIME = 'program time: ';

/** The XDP programs' own ns per packet under the same load (forward.sh, bpf_stats). */
function programTime(times: Map<string, number[]>): string[] {
  const TRIV = 'trivial XDP_REDIRECT';
  const triv = median(need(times.get(TRIV), `${PROGRAM_TIME}${TRIV}`));
  const out = ['', 'What each XDP program itself costs per packet under this load (the kernel\'s BPF statistics,',
    'run_time_ns / run_cnt, in 3 further rounds; every figure includes the statistics\' own two clock',
    'reads, which the trivial program\'s figure is almost all of):', '',
    '| program | own ns per packet (median) | runs | more than the trivial redirect |', '|---|---|---|---|'];
  for (const [name, xs] of times) {
    const m = median(xs);
    out.push(`| ${name} | ${fmt(m)} | ${xs.map((x) => fmt(x)).join(' · ')} | ${name === TRIV ? '' : `+${fmt(m - triv)} ns`} |`);
  }
  return out;
}

function forward(file: string): string {
  const runs = new Map<string, number[]>(), times = new Map<string, number[]>();
  for (const [name, json] of rows(file)) {
    if (name!.startsWith(PROGRAM_TIME)) {
      const key = name!.slice(PROGRAM_TIME.length);
      times.set(key, [...(times.get(key) ?? []), (JSON.parse(json!) as { ns: number }).ns]);
      continue;
    }
    const r = JSON.parse(json!) as { pps: number[] };
    const key = name!.replace(/ \(again\)$/, '');
    runs.set(key, [...(runs.get(key) ?? []), ...r.pps]);
  }
  const TRIV = 'trivial XDP_REDIRECT d0->d1', NFT = 'nftables DNAT (numgen + conntrack)';
  const trivRuns = need(runs.get(TRIV), TRIV), nftRuns = need(runs.get(NFT), NFT);
  const triv = median(trivRuns), nft = median(nftRuns);
  const out: string[] = [];
  out.push('## Forwarding rate (64-byte IPv4 UDP, 256 flows, conntrack warm)', '');
  out.push('| figure | median | denominator | ratio | goal | |', '|---|---|---|---|---|---|');
  for (const m of ['DR', 'NAT']) {
    const name = `lvs-xdp ${m}`;
    const vs = need(runs.get(name), name), v = median(vs);
    const rt = pairedRatio(vs, trivRuns), rn = pairedRatio(vs, nftRuns);
    out.push(`| lvs-xdp ${m} | ${mpps(v)} | trivial XDP_REDIRECT ${mpps(triv)} | ${ratioText(rt, true)} | ≥ 90 % | ${met(rt, { min: 0.9, text: '' })} |`);
    out.push(`| lvs-xdp ${m} vs the kernel | ${mpps(v)} | nftables DNAT ${mpps(nft)} | ${ratioText(rn, false)} | ≥ 4.5× | ${met(rn, { min: 4.5, text: '' })} |`);
  }
  // NAT's other direction: one real's replies to the same 256 client flows, d1 -> d0
  const TRIV_REV = 'trivial XDP_REDIRECT d1->d0', REPLIES = 'lvs-xdp NAT replies';
  const revRuns = need(runs.get(TRIV_REV), TRIV_REV), repRuns = need(runs.get(REPLIES), REPLIES);
  const rr = pairedRatio(repRuns, revRuns);
  out.push(`| lvs-xdp NAT, replies real → client | ${mpps(median(repRuns))} | trivial XDP_REDIRECT d1→d0 ${mpps(median(revRuns))} | ${ratioText(rr, true)} | ≥ 90 % | ${met(rr, { min: 0.9, text: '' })} |`);
  out.push('', 'Ratio = median of the per-round ratios (each round\'s pair ran back to back); medians of the runs beside it.');
  out.push('NAT replies: the generator in lxbench-rs sends the replies of VIP:11\'s one real (RIP:11) to the 256 client flows',
    'sent to VIP:11 just before; the sink on the client\'s veth c0 counts them; no nftables figure for this direction.');
  out.push('', 'Every run (packets per second at the sink):', '', '| director | runs | median |', '|---|---|---|');
  for (const [name, xs] of runs) out.push(`| ${name} | ${xs.map((x) => fmt(x)).join(' · ')} | ${fmt(median(xs))} |`);
  out.push('', 'Rounds: every director configuration once per round, in the order above; each run is one timed', 'stretch of the generator after 0.3 s of warm-up (conntrack warm: the same 256 flows every round).');
  out.push(...programTime(times));
  return out.join('\n') + '\n';
}

const TRIVIAL = 'trivial XDP forwarder';

function tcp(file: string): string {
  const runs = new Map<string, number[]>();
  const errors = new Map<string, string[]>();
  for (const [path, mode, rps, errs] of rows(file)) {
    const key = `${path}\t${mode}`;
    runs.set(key, [...(runs.get(key) ?? []), Number(rps)]);
    if (errs) errors.set(key, [...(errors.get(key) ?? []), errs]);
  }
  const all = (path: string, mode: string): number[] => need(runs.get(`${path}\t${mode}`), `${path} ${mode}`);
  const get = (path: string, mode: string): number => median(all(path, mode));
  const out: string[] = [];
  out.push('## TCP through a real client (wrk -t2 -c64, nginx real server)', '');
  out.push('| figure | median req/s | denominator | ratio | goal | |', '|---|---|---|---|---|---|');
  const goals: Record<string, Goal> = { keepalive: { min: 0.98, text: '≥ 98 %' }, close: { min: 0.95, text: '≥ 95 %' } };
  const label: Record<string, string> = { keepalive: 'keep-alive requests/s', close: 'new connections/s (Connection: close)' };
  for (const mode of ['keepalive', 'close']) {
    const direct = get('direct', mode);
    for (const path of ['lvs-xdp DR', TRIVIAL, 'lvs-xdp NAT', 'nftables DNAT', 'HAProxy TCP mode']) {
      const v = get(path, mode), r = pairedRatio(all(path, mode), all('direct', mode));
      const goal = path === 'lvs-xdp DR' ? goals[mode]! : undefined;
      out.push(`| ${path}: ${label[mode]} | ${fmt(v)} | direct ${fmt(direct)} | ${ratioText(r, true)} | ${goal ? goal.text : '(comparison)'} | ${goal ? met(r, goal) : ''} |`);
    }
    // how much of the gap is the hop itself: lvs-xdp against the forwarder that does the least
    const rt = pairedRatio(all('lvs-xdp DR', mode), all(TRIVIAL, mode));
    out.push(`| lvs-xdp DR: ${label[mode]}, against the hop | ${fmt(get('lvs-xdp DR', mode))} | ${TRIVIAL} ${fmt(get(TRIVIAL, mode))} | ${ratioText(rt, true)} | (comparison) |  |`);
    // the two paths whose replies come back through the director
    const rn = pairedRatio(all('lvs-xdp NAT', mode), all('nftables DNAT', mode));
    out.push(`| lvs-xdp NAT: ${label[mode]}, against the kernel's NAT | ${fmt(get('lvs-xdp NAT', mode))} | nftables DNAT ${fmt(get('nftables DNAT', mode))} | ${ratioText(rn, false)} | (comparison) |  |`);
  }
  out.push('', 'Ratio = median of the per-round ratios (each round ran the paths back to back); medians of the runs beside it.');
  out.push('', 'Every run (requests per second):', '', '| path | mode | runs | median |', '|---|---|---|---|');
  for (const [key, xs] of runs) {
    const [path, mode] = key.split('\t');
    out.push(`| ${path} | ${mode} | ${xs.map((x) => fmt(x)).join(' · ')} | ${fmt(median(xs))} |`);
  }
  if (errors.size) {
    out.push('', 'wrk reported errors (counted in no figure above):', '');
    for (const [key, es] of errors) out.push(`- ${key.replace('\t', ', ')}: ${es.join(' | ')}`);
  }
  return out.join('\n') + '\n';
}

try {
  const [what, file] = process.argv.slice(2);
  if (!file || (what !== 'forward' && what !== 'tcp')) throw new ReportError('usage: report.js forward|tcp FILE.tsv');
  process.stdout.write(what === 'forward' ? forward(file) : tcp(file));
} catch (e) {
  console.error((e as Error).message);
  process.exit(1);
}
