// veth delivers XDP-transmitted frames (XDP_TX, redirect) only when the receiving
// peer runs NAPI, which an XDP program of its own guarantees (GRO alone did not on
// 6.18, though the kernel documents it as enough). Otherwise the frames
// vanish and only `ethtool -S` (xdp_tx_errors / xdp_xmit_errors) shows it. This
// finds the peer (possibly in another named namespace) and says when it cannot
// receive, so attach and status can tell the user instead of dropping silently.
import { execFileSync } from 'node:child_process';

function run(cmd: string, args: string[], netns?: string): string {
  const argv = netns ? ['--net=/run/netns/' + netns, '--', cmd, ...args] : args;
  return execFileSync(netns ? 'nsenter' : cmd, argv, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

interface LinkJson {
  ifindex: number;
  ifname: string;
  xdp?: unknown;
  link_index?: number;
  link_netnsid?: number;
  linkinfo?: { info_kind?: string };
}

function links(netns?: string): LinkJson[] {
  return JSON.parse(run('ip', ['-j', '-d', 'link', 'show'], netns)) as LinkJson[];
}

/** ethtool -S counters of an interface, by name. */
export function ethtoolStats(ifname: string, netns?: string): Record<string, number> {
  const out: Record<string, number> = {};
  try {
    for (const line of run('ethtool', ['-S', ifname], netns).split('\n')) {
      const m = /^\s+([\w-]+):\s+(\d+)$/.exec(line);
      if (m) out[m[1]!] = Number(m[2]);
    }
  } catch {
    /* not supported by this driver */
  }
  return out;
}

function groOn(ifname: string, netns?: string): boolean {
  return /generic-receive-offload: on/.test(run('ethtool', ['-k', ifname], netns));
}

/** Why XDP-transmitted frames from ifname would be lost, or undefined when fine/not veth. */
export function vethDeliveryProblem(ifname: string): string | undefined {
  let me: LinkJson | undefined;
  try {
    me = links().find((l) => l.ifname === ifname);
  } catch {
    return undefined;
  }
  if (me?.linkinfo?.info_kind !== 'veth' || me.link_index === undefined) return undefined;
  let netns: string | undefined;
  if (me.link_netnsid !== undefined) {
    const ids = JSON.parse(run('ip', ['-j', 'netns', 'list-id']) || '[]') as Array<{ nsid: number; name?: string }>;
    netns = ids.find((i) => i.nsid === me!.link_netnsid)?.name;
    if (!netns) {
      return `${ifname} is a veth whose peer is in an unnamed namespace: make sure the peer has an XDP program (e.g. .output/napi.bpf.o), or forwarded frames are lost`;
    }
  }
  try {
    const peer = links(netns).find((l) => l.ifindex === me!.link_index);
    if (!peer) return undefined;
    if (peer.xdp) return undefined;
    const where = netns ? ` in netns ${netns}` : '';
    const gro = groOn(peer.ifname, netns) ? ' (GRO is on, which was not enough on 6.18)' : '';
    return `peer of ${ifname} (${peer.ifname}${where}) has no XDP program${gro}: frames sent back out ${ifname} may be lost; fix: ip link set dev ${peer.ifname} xdpdrv obj .output/napi.bpf.o sec xdp${netns ? ` (inside ${netns})` : ''}`;
  } catch {
    return undefined;
  }
}

/** XDP transmit errors counted by a veth (frames the peer could not take). */
export function vethXmitErrors(ifname: string): number {
  const s = ethtoolStats(ifname);
  return Object.entries(s)
    .filter(([k]) => /xdp_tx_errors$|xdp_xmit_errors$/.test(k))
    .reduce((a, [, v]) => a + v, 0);
}
