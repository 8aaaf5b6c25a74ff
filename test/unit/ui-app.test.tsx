// The monitor's Ink UI against a fake data source: frames asserted, keys sent.
import { afterEach, describe, expect, test } from '@jest/globals';
import { render, cleanup } from 'ink-testing-library';
import { MonitorRoot } from '../../ui/App.js';
import { FakeSource, demoSnapshot } from '../../src/monitor/fake-source.js';
import type { MonitorSnapshot } from '../../src/monitor/types.js';

const tick = () => new Promise((r) => setTimeout(r, 30));
const DOWN = '\x1b[B';
const ESC = '\x1b';
const ENTER = '\r';
const BACKSPACE = '\x7f';
// SGR sequences (colours, inverse, bold); Ink's own cursor sequences are not SGR.
const SGR = /\x1b\[[0-9;]*m/;

function snapshot(): MonitorSnapshot {
  return demoSnapshot([
    {
      key: { protocol: 'tcp', addr: { family: 'inet', ip: '192.0.2.10' }, port: 80 },
      reals: [{ ip: '192.0.2.11', cps: 5 }, { ip: '192.0.2.12', cps: 9 }, { ip: '192.0.2.13', weight: 0, cps: 0 }],
    },
    {
      key: { protocol: 'udp', addr: { family: 'inet6', ip: '2001:db8:aaaa:bbbb:cccc:dddd:eeee:10' }, port: 53 },
      reals: [{ ip: '2001:db8:aaaa:bbbb:cccc:dddd:eeee:11' }],
    },
  ]);
}

function mount(snap = snapshot(), size = { columns: 80, rows: 24 }, color = false) {
  const source = new FakeSource(snap);
  const app = render(<MonitorRoot source={source} display={{ color, size }} />);
  const frame = () => app.lastFrame() ?? '';
  return { source, app, frame };
}

afterEach(() => cleanup());

describe('monitor UI at 80×24', () => {
  test('header, services with reals, detail graphs and footer fit 80 columns and 23 lines', () => {
    const { frame } = mount();
    const lines = frame().split('\n');
    expect(lines.length).toBe(23);
    for (const l of lines) expect([...l].length).toBeLessThanOrEqual(80);
    expect(lines[0]).toMatch(/^lvs-xdp monitor │ eth0 native prog 42 │ conntrack 42\/1\.0M/);
    expect(frame()).toMatch(/drop: no_real 3 │ pass: not_vip 77/);
    expect(frame()).toMatch(/> TCP 192\.0\.2\.10:80 rr/);
    expect(frame()).toMatch(/ {4}192\.0\.2\.11:80\s+Route\s+1\s+3\s+10\s+5\s+30\s+3500 n\/a/);
    expect(frame()).toMatch(/192\.0\.2\.13:80\s+Route\s+0 /);
    // the long IPv6 service is cut in the middle, port kept
    expect(frame()).toMatch(/ UDP \[2001:…10\]:53 rr /);
    expect(frame()).toMatch(/^CPS [▁▂▃▄▅▆▇█]+ now/m);
    expect(lines[22]).toMatch(/^↑↓ move {2}s sort {2}w weight {2}d drain\/restore {2}\/ filter/);
  });

  test('NO_COLOR: no colour or attribute sequences at all', () => {
    const { frame } = mount();
    expect(frame()).not.toMatch(SGR);
  });

  test('arrows move the selection; d drains the selected real and the result is shown', async () => {
    const { source, app, frame } = mount();
    app.stdin.write(DOWN);
    await tick();
    expect(frame()).toMatch(/> {3}192\.0\.2\.11:80/);
    source.result = { ok: true, message: 'drained 192.0.2.11:80 (weight 1 → 0; d restores)' };
    app.stdin.write('d');
    await tick();
    expect(source.calls).toContainEqual({ op: 'drain', real: '192.0.2.11:80' });
    expect(frame()).toMatch(/drained 192\.0\.2\.11:80 \(weight 1 → 0; d restores\)/);
  });

  test('w asks for a weight, Enter applies it through the source; errors are shown', async () => {
    const { source, app, frame } = mount();
    app.stdin.write('j');
    await tick();
    app.stdin.write('w');
    await tick();
    expect(frame()).toMatch(/new weight: 1▏/);
    app.stdin.write(BACKSPACE);
    await tick();
    app.stdin.write('x7');
    await tick();
    source.result = { ok: false, message: '192.0.2.11:80: illegal weight specified' };
    app.stdin.write(ENTER);
    await tick();
    expect(source.calls).toContainEqual({ op: 'weight', real: '192.0.2.11:80', text: 'x7' });
    expect(frame()).toMatch(/illegal weight specified/);
  });

  test('keys arriving in one chunk (fast typing, tmux send-keys) are taken one by one', async () => {
    const { source, app, frame } = mount();
    app.stdin.write('jw');
    await tick();
    app.stdin.write(BACKSPACE + '-5' + ENTER);
    await tick();
    expect(source.calls).toContainEqual({ op: 'weight', real: '192.0.2.11:80', text: '-5' });
    expect(frame()).not.toMatch(/new weight/);
  });

  test('w on a service row says to pick a real server', async () => {
    const { source, app, frame } = mount();
    app.stdin.write('w');
    await tick();
    expect(frame()).toMatch(/select a real server first/);
    expect(source.calls.filter((c) => c.op === 'weight')).toHaveLength(0);
  });

  test('/ filters rows as you type; Esc clears the filter', async () => {
    const { app, frame } = mount();
    app.stdin.write('/');
    await tick();
    app.stdin.write('0.2.12');
    await tick();
    expect(frame()).toMatch(/192\.0\.2\.12:80/);
    expect(frame()).not.toMatch(/192\.0\.2\.11:80/);
    expect(frame()).not.toMatch(/UDP/);
    app.stdin.write(ESC);
    await tick();
    expect(frame()).toMatch(/192\.0\.2\.11:80/);
  });

  test('s sorts by the next column (arrow in its title); r reverses', async () => {
    const { app, frame } = mount();
    app.stdin.write('s');
    await tick();
    expect(frame()).toMatch(/Wgt↓/);
    for (let i = 0; i < 3; i++) app.stdin.write('s');
    await tick();
    expect(frame()).toMatch(/CPS↓/);
    const body = frame();
    expect(body.indexOf('192.0.2.12:80')).toBeLessThan(body.indexOf('192.0.2.11:80'));
    app.stdin.write('r');
    await tick();
    expect(frame().indexOf('192.0.2.12:80')).toBeGreaterThan(frame().indexOf('192.0.2.11:80'));
  });

  test('c switches to the connections view and back; the source is told', async () => {
    const snap = snapshot();
    const { source, app, frame } = mount(snap);
    app.stdin.write('c');
    await tick();
    expect(source.calls).toContainEqual({ op: 'conns', on: true });
    expect(frame()).toMatch(/pro expire state\s+source\s+virtual\s+destination/);
    source.publish({
      ...snap, seq: 2,
      conns: {
        scanned: 2, expired: 1, limit: 5000, truncated: false,
        rows: [
          { protocol: 'TCP', state: 'ESTABLISHED', expiresSec: 899, active: true, realId: 0,
            client: { addr: { family: 'inet', ip: '192.0.2.100' }, port: 40000 },
            virtual: { addr: { family: 'inet', ip: '192.0.2.10' }, port: 80 },
            real: { addr: { family: 'inet', ip: '192.0.2.11' }, port: 80 } },
          { protocol: 'TCP', state: 'TIME_WAIT', expiresSec: 61, active: false, realId: 1,
            client: { addr: { family: 'inet', ip: '192.0.2.100' }, port: 40002 },
            virtual: { addr: { family: 'inet', ip: '192.0.2.10' }, port: 80 },
            real: { addr: { family: 'inet', ip: '192.0.2.12' }, port: 80 } },
        ],
      },
    });
    await tick();
    expect(frame()).toMatch(/TCP 14:59 {2}ESTABLISHED 192\.0\.2\.100:40000\s+192\.0\.2\.10:80\s+192\.0\.2\.11:80/);
    expect(frame()).toMatch(/TIME_WAIT/);
    expect(frame()).toMatch(/2 of 2 live entries; 1 expired/);
    app.stdin.write('/');
    app.stdin.write('TIME');
    await tick();
    expect(frame()).not.toMatch(/ESTABLISHED/);
    app.stdin.write(ENTER);
    app.stdin.write('c');
    await tick();
    expect(source.calls).toContainEqual({ op: 'conns', on: false });
    expect(frame()).toMatch(/Service \/ real/);
  });

  test('? shows help; any key closes it', async () => {
    const { app, frame } = mount();
    app.stdin.write('?');
    await tick();
    expect(frame()).toMatch(/lvs-xdp monitor — keys/);
    app.stdin.write('x');
    await tick();
    expect(frame()).not.toMatch(/— keys/);
  });

  test('publishing the same snapshot again renders nothing new', async () => {
    const { source, app } = mount();
    await tick();
    const n = app.frames.length;
    source.publish();
    source.publish();
    await tick();
    expect(app.frames.length).toBe(n);
  });

  test('a larger terminal gets wider columns and more rows (resizes re-lay out)', async () => {
    const source = new FakeSource(snapshot());
    const app = render(<MonitorRoot source={source} display={{ color: false, size: { columns: 80, rows: 24 } }} />);
    const w80 = Math.max(...(app.lastFrame() ?? '').split('\n').map((l) => [...l].length));
    app.rerender(<MonitorRoot source={source} display={{ color: false, size: { columns: 140, rows: 40 } }} />);
    await tick();
    const lines = (app.lastFrame() ?? '').split('\n');
    expect(lines.length).toBe(39);
    const w140 = Math.max(...lines.map((l) => [...l].length));
    expect(w80).toBeLessThanOrEqual(80);
    expect(w140).toBeGreaterThan(100);
    expect(w140).toBeLessThanOrEqual(140);
    // the full IPv6 address fits now
    expect(app.lastFrame()).toMatch(/\[2001:db8:aaaa:bbbb:cccc:dddd:eeee:10\]:53/);
  });

  test('an error from the source shows on the status line, data kept', async () => {
    const snap = snapshot();
    const { source, frame } = mount(snap);
    source.publish({ ...snap, seq: 2, error: 'no lvs-xdp data plane in /sys/fs/bpf/x' });
    await tick();
    expect(frame()).toMatch(/error: no lvs-xdp data plane/);
    expect(frame()).toMatch(/192\.0\.2\.11:80/);
  });

  test('a line longer than the screen is cut with … and never wraps', async () => {
    const snap = snapshot();
    const { source, frame } = mount(snap);
    source.publish({ ...snap, seq: 2, error: `map read failed: ${'x'.repeat(200)}` });
    await tick();
    const lines = frame().split('\n');
    expect(lines).toHaveLength(23);
    expect(lines[21]).toBe(`error: map read failed: ${'x'.repeat(55)}…`);
  });
});
