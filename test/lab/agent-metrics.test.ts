// The agent's /metrics scraped by a real HTTP client (curl) while traffic flows.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { labUnavailable, startLab, stopLab, type Lab } from './fixture.js';
import { repoRoot } from '../../src/util/paths.js';

const PREFIX = 'lxtd';
const why = labUnavailable();
if (why) console.warn(`agent-metrics lab: skipped: ${why}`);
const maybe = why ? describe.skip : describe;

function scrape(lab: Lab): Map<string, number> {
  const text = lab.sh(lab.info.director.netns, 'curl', '-sS', '--max-time', '3', 'http://127.0.0.1:19100/metrics');
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-z_]+(?:\{[^}]*\})?) (\d+)$/.exec(line);
    if (!m) throw new Error(`bad exposition line: ${line}`);
    out.set(m[1]!, Number(m[2]));
  }
  return out;
}

maybe('agent metrics (root, namespaces)', () => {
  let lab: Lab;
  let agent: ChildProcess | undefined;

  beforeAll(async () => {
    lab = await startLab(PREFIX);
    lab.cli('attach', 'eth0');
    lab.cli('-A', '-t', '192.0.2.10:80', '-s', 'rr');
    for (const i of [1, 2]) lab.cli('-a', '-t', '192.0.2.10:80', '-r', `192.0.2.1${i}`, '-g', '-w', String(i));
    agent = spawn('nsenter', [`--net=/run/netns/${PREFIX}-dir`, '--', join(repoRoot(), 'bin', 'lvs-xdp'),
      '--pin-dir', lab.pinDir, 'agent', '--metrics', '127.0.0.1:19100'], { stdio: ['ignore', 'pipe', 'pipe'] });
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('agent did not start in 10 s')), 10_000);
      agent!.stdout!.on('data', (d: Buffer) => { if (d.toString().includes('serving metrics')) { clearTimeout(t); resolve(); } });
      agent!.once('exit', (c) => { clearTimeout(t); reject(new Error(`agent exited ${c}`)); });
    });
  }, 60_000);

  afterAll(async () => {
    agent?.kill('SIGTERM');
    await stopLab(PREFIX, lab);
  }, 60_000);

  test('node_ipvs_* counters follow the traffic; weights and lvs_xdp_* verdicts are there', () => {
    const before = scrape(lab);
    for (let i = 0; i < 6; i++) expect(lab.curl('http://192.0.2.10/')).toMatch(/^rs[12]\n$/);
    const after = scrape(lab);
    expect(after.get('node_ipvs_connections_total')! - (before.get('node_ipvs_connections_total') ?? 0)).toBe(6);
    expect(after.get('node_ipvs_incoming_packets_total')!).toBeGreaterThan(before.get('node_ipvs_incoming_packets_total') ?? 0);
    const w = '{local_address="192.0.2.10",local_mark="",local_port="80",proto="TCP",remote_address="192.0.2.12",remote_port="80"}';
    expect(after.get(`node_ipvs_backend_weight${w}`)).toBe(2);
    expect(after.get('lvs_xdp_packets_total{reason="tx",verdict="forward"}')!).toBeGreaterThanOrEqual(6);
  }, 60_000);

  test('the agent stops on SIGTERM and forwarding goes on without it', async () => {
    const exited = new Promise<number | null>((r) => agent!.once('exit', (c) => r(c)));
    agent!.kill('SIGTERM');
    expect(await exited).toBe(0);
    agent = undefined;
    expect(lab.curl('http://192.0.2.10/')).toMatch(/^rs[12]\n$/);
  }, 30_000);
});
