// The monitor left running: a thousand refreshes through the real App must leave
// every structure that lives as long as the process the size it had after the first
// few. Asserted on counts, not on RSS, so it needs no timing. What it guards against:
// React's development build records a User Timing measure per component render and
// Node keeps them all (the 50-minute soak's +176 MiB); Ink remembers the size of every
// distinct text it lays out, forever; listeners added per render or per resize; and
// output that piles up instead of being redrawn.
import { createRef } from 'react';
import { afterEach, describe, expect, test } from '@jest/globals';
import type { DOMElement } from 'ink';
import { FakeSource, demoSnapshot } from '../../src/monitor/fake-source.js';
import type { MonitorSnapshot } from '../../src/monitor/types.js';

const REFRESHES = 1000;
const settle = () => new Promise((r) => setImmediate(r));

/** Refresh i: rates, sparklines and the header all change, as with steady traffic. */
function snapshotAt(i: number): MonitorSnapshot {
  const s = demoSnapshot([
    {
      key: { protocol: 'tcp', addr: { family: 'inet', ip: '192.0.2.10' }, port: 80 },
      reals: [
        { ip: '192.0.2.11', cps: 1 + (i % 17) },
        { ip: '192.0.2.12', cps: 1 + ((i * 7) % 13) },
        { ip: '192.0.2.13', cps: 1 + ((i * 3) % 11) },
      ],
    },
  ]);
  return { ...s, seq: i, header: { ...s.header, connCount: 1000 + i } };
}

const SGR = /\x1b\[[0-9;]*m/;
const SGR_ALL = new RegExp(SGR.source, 'g');
const measures = () => performance.getEntriesByType('measure').length;

/** Every text node under el: the strings Ink measures (and caches) when laying out. */
function laidOut(el: DOMElement, into: Set<string>): Set<string> {
  for (const c of el.childNodes) {
    if (c.nodeName === '#text') into.add(c.nodeValue);
    else laidOut(c, into);
  }
  return into;
}
const lineCount = (frame: string) => frame.split('\n').length;

// As in the live monitor, before Ink and React load: colours on (Jest's stdout is no
// terminal, so Ink's chalk would drop them and the styled path would go untested), and
// a console.timeStamp, which Jest's console lacks and without which React records no
// per-render timings.
process.env.FORCE_COLOR = '1';
console.timeStamp ??= () => {};
const { Box } = await import('ink');
const { render, cleanup } = await import('ink-testing-library');
const { MonitorRoot } = await import('../../ui/App.js');

afterEach(() => cleanup());

describe('monitor UI over a thousand refreshes', () => {
  test('nothing that lives as long as the process keeps growing', async () => {
    const source = new FakeSource(snapshotAt(0));
    // No fixed size: the App follows the (fake) terminal's resize events, as it does live.
    const root = createRef<DOMElement>();
    const app = render(<Box ref={root}><MonitorRoot source={source} display={{ color: true }} /></Box>);
    const stdout = app.stdout as unknown as NodeJS.WriteStream & { frames: string[] };
    const stdin = app.stdin as unknown as NodeJS.ReadStream;
    await settle();
    const warm = () => ({
      source: source.listenerCount,
      resize: stdout.listenerCount('resize'),
      readable: stdin.listenerCount('readable'),
      data: stdin.listenerCount('data'),
    });
    for (let i = 1; i <= 20; i++) {
      source.publish(snapshotAt(i));
      await settle();
    }
    const before = warm();
    const firstLines = lineCount(app.lastFrame()!);
    const firstFrames = stdout.frames.length;

    let maxMeasures = 0;
    const texts = laidOut(root.current!, new Set());
    for (let i = 21; i <= REFRESHES; i++) {
      source.publish(snapshotAt(i));
      if (i % 100 === 0) stdout.emit('resize');
      if (i % 250 === 0) app.stdin.write('j'); // selection moves: another kind of re-render
      if (i % 500 === 0) app.stdin.write('m');
      await settle();
      if (i % 100 === 0) maxMeasures = Math.max(maxMeasures, measures());
      if (i % 10 === 0) laidOut(root.current!, texts);
    }

    // Every refresh was drawn (so the loop above really exercised the renderer) ...
    expect(stdout.frames.length - firstFrames).toBeGreaterThanOrEqual(REFRESHES - 20);
    expect(app.lastFrame()).toMatch(SGR);
    expect(app.lastFrame()!.replace(SGR_ALL, '')).toContain(`conntrack ${1000 + REFRESHES}/`);
    // ... each frame the same height: a redraw, never output that accumulates ...
    for (const f of stdout.frames.slice(firstFrames)) expect(lineCount(f)).toBe(firstLines);
    // ... no listener was added per render, per key or per resize ...
    expect(warm()).toEqual(before);
    // ... the process-wide performance timeline holds at most one commit's worth ...
    expect(maxMeasures).toBeLessThan(100);
    // ... and Ink is handed a few distinct texts to lay out, not new ones every refresh
    // (each line's text changes ~100 times here; only blanks of each width are laid out).
    expect(texts.size).toBeLessThan(50);
  }, 180_000); // ~25 s alone, about twice that beside other suites on 2 cores
});
