// UDP request/response for the DR and TUN lab suites (fwd-tun, fwd-dr): there the real
// server must answer from the VIP. The lab's name server (src/lab/name-server.ts) binds
// its UDP socket to [::] and answers with udp.send() on it, so the kernel picks the
// source address by the route to the client: the real's own address, not the VIP the
// request was sent to, and a client's connected socket discards the answer. Until it
// answers from the request's destination (IP_PKTINFO), these suites also run a
// responder bound to the VIP itself (socat, one datagram per child).
import { spawn, type ChildProcess } from 'node:child_process';
import { inNetns } from '../../src/util/exec.js';
import type { FwdLab } from './fwd-scenario.js';

/** On each host, answers "<host> <payload>" to UDP datagrams sent to vip:port. */
export async function startVipResponders(l: FwdLab, hosts: string[], vips: string[], port: number): Promise<() => void> {
  const kids: ChildProcess[] = [];
  for (const h of hosts) {
    for (const vip of vips) {
      const listen = vip.includes(':') ? `UDP6-RECVFROM:${port},bind=[${vip}],fork` : `UDP4-RECVFROM:${port},bind=${vip},fork`;
      kids.push(spawn('nsenter', [`--net=/run/netns/${l.netns(h)}`, '--', 'socat', '-T', '2', listen, `SYSTEM:read x; echo ${h} $x`], { stdio: 'ignore' }));
    }
  }
  // bounded wait until every socket listens
  for (let i = 0; i < 50; i++) {
    const up = hosts.every((h) => {
      const ss = inNetns(l.netns(h), 'ss', ['-Hlun', `sport = :${port}`], { timeoutMs: 5_000, allowFailure: true }).stdout;
      return vips.every((v) => ss.includes(v));
    });
    if (up) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return () => {
    for (const k of kids) if (k.pid) k.kill('SIGTERM');
  };
}

/** The source address of the answer to one datagram (an unconnected socket), or ''. */
export function answerSource(l: FwdLab, host: string, port: number): string {
  const py = `
import socket,sys
h=sys.argv[1]; fam=socket.AF_INET6 if ':' in h else socket.AF_INET
s=socket.socket(fam,socket.SOCK_DGRAM); s.settimeout(2)
s.sendto(b'who', (h,int(sys.argv[2])))
try:
  d,a=s.recvfrom(2048); print(a[0])
except Exception: pass`;
  return l.client('python3', '-c', py, host, String(port)).stdout.trim();
}
