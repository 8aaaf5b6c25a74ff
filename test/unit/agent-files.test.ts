import { afterAll, describe, expect, test } from '@jest/globals';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  agentFiles, claimPidFile, readOwned, releasePidFile, runningAgent, writeOwned, writeReloadStatus, AgentRunningError,
} from '../../src/agent/pidfile.js';
import { runScript, scriptProblem } from '../../src/agent/scripts.js';
import { parseAgentArgs, reloadCommand } from '../../src/cli/agent.js';
import { pinPaths } from '../../src/bpf/pins.js';

const dir = mkdtempSync(join(tmpdir(), 'agent-files-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('agent pid file and state files', () => {
  test('named per pin directory; claimed, refused while another agent lives, taken over when stale', async () => {
    const a = agentFiles('/sys/fs/bpf/a', dir);
    expect(agentFiles('/sys/fs/bpf/b', dir).pid).not.toBe(a.pid);
    expect(a.pid).toMatch(new RegExp(`^${dir}/agent-[0-9a-f]{16}\\.pid$`));
    claimPidFile(a, '/sys/fs/bpf/a');
    expect(readFileSync(a.pid, 'utf8').trim()).toBe(String(process.pid));
    releasePidFile(a);
    expect(existsSync(a.pid)).toBe(false);
    // a live process whose command line says "agent"
    const other = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 20000)', 'agent'], { stdio: 'ignore' });
    try {
      await new Promise((r) => setTimeout(r, 200));
      writeFileSync(a.pid, `${other.pid}\n`);
      expect(runningAgent(a)).toBe(other.pid);
      expect(() => claimPidFile(a, '/sys/fs/bpf/a')).toThrow(AgentRunningError);
      expect(() => claimPidFile(a, '/sys/fs/bpf/a')).toThrow(`another agent (pid ${other.pid}) already runs for the data plane in /sys/fs/bpf/a`);
    } finally {
      other.kill('SIGKILL');
      await new Promise((r) => other.once('exit', r));
    }
    expect(runningAgent(a)).toBeUndefined(); // dead: stale
    claimPidFile(a, '/sys/fs/bpf/a');
    releasePidFile(a);
  });

  test('an exiting agent removes its reload outcome, not another agent\'s', () => {
    const f = agentFiles('/sys/fs/bpf/d', dir);
    claimPidFile(f, '/sys/fs/bpf/d');
    writeReloadStatus(f, { pid: process.pid, seq: 1, ok: true, message: 'reloaded' });
    releasePidFile(f);
    expect([existsSync(f.pid), existsSync(f.reload)]).toEqual([false, false]);
    writeReloadStatus(f, { pid: process.pid + 1, seq: 1, ok: true, message: 'reloaded' });
    releasePidFile(f);
    expect(existsSync(f.reload)).toBe(true);
  });

  test('owned services survive a restart in their file, for the same maps only', () => {
    const f = agentFiles('/sys/fs/bpf/c', dir);
    expect(readOwned(f, '17')).toEqual([]);
    const k = [{ protocol: 'tcp' as const, addr: { family: 'inet' as const, ip: '192.0.2.10' }, port: 80 }];
    writeOwned(f, k, '17');
    expect(readOwned(f, '17')).toEqual(k);
    expect(readOwned(f, '18')).toEqual([]); // maps made again since: the list is not theirs
  });

  test('agent reload without a running agent: one clear line', async () => {
    const ctx = { pins: pinPaths('/sys/fs/bpf/none'), out: () => {}, err: () => {}, readStdin: () => '', prog: 'lvs-xdp' };
    await expect(reloadCommand([], ctx, agentFiles('/sys/fs/bpf/none', dir))).rejects.toThrow(
      /^agent reload: no agent is running for the data plane in \/sys\/fs\/bpf\/none \(no live pid in .*\.pid\)$/);
  });

  test('agent arguments', () => {
    expect(parseAgentArgs(['--config', '/etc/keepalived/keepalived.conf', '--metrics=127.0.0.1:9100'])).toEqual({
      config: '/etc/keepalived/keepalived.conf', metrics: { host: '127.0.0.1', port: 9100 },
    });
    expect(() => parseAgentArgs(['--config'])).toThrow('agent: --config needs FILE');
    expect(() => parseAgentArgs(['--frob'])).toThrow(/unknown argument --frob/);
  });
});

describe('notify/quorum scripts', () => {
  test('run through /bin/sh -c; status and stderr reported', async () => {
    const o = await runScript('echo oops >&2; exit 3');
    expect(o).toMatchObject({ status: 3, timedOut: false, stderr: 'oops' });
    expect(scriptProblem(o)).toBe('exited with status 3: oops');
    expect(scriptProblem(await runScript('true'))).toBe('');
  });

  test('bounded: the whole process group is killed after the timeout', async () => {
    const marker = join(dir, 'child.pid');
    const t0 = Date.now();
    const o = await runScript(`sleep 30 & echo $! > ${marker}; wait`, { timeoutMs: 200, killGraceMs: 200 });
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(o.timedOut).toBe(true);
    expect(scriptProblem(o, 200)).toBe('killed after the 200 ms timeout');
    const child = Number(readFileSync(marker, 'utf8'));
    await new Promise((r) => setTimeout(r, 100));
    expect(existsSync(`/proc/${child}`) && !readFileSync(`/proc/${child}/stat`, 'utf8').includes(') Z')).toBe(false);
  });
});
