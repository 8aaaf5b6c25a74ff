// lvs-xdp status: where the data plane runs, how, and what it did with packets.
import { attachedInterfaces, xdpInfo } from '../bpf/link.js';
import { Dataplane } from '../bpf/dataplane.js';
import { readGlobalStats, readMeta, readState } from '../bpf/state.js';
import { statNames } from '../bpf/stat-names.js';
import { vethDeliveryProblem, vethXmitErrors } from '../net/veth.js';
import { decodeIcmpConf, describeIcmpLimits } from '../net/icmp-limits.js';
import type { CliContext } from './context.js';

export function statusCommand(_argv: string[], ctx: CliContext): number {
  const dp = Dataplane.open(ctx.pins);
  try {
    const meta = readMeta(dp);
    const state = readState(dp);
    ctx.out(`pin directory: ${ctx.pins.dir}`);
    const ifaces = attachedInterfaces(ctx.pins);
    if (ifaces.length === 0) ctx.out('interfaces: none attached (maps kept)');
    for (const i of ifaces) {
      const x = xdpInfo(i);
      const mode = x ? (x.mode === 2 ? 'generic' : x.mode === 3 ? 'offload' : 'native') : 'not attached (link pinned in another namespace?)';
      ctx.out(`interface ${i}: ${mode} XDP${x?.progId ? `, program id ${x.progId}` : ''}`);
      const problem = vethDeliveryProblem(i);
      if (problem) ctx.out(`  warning: ${problem}`);
      const errs = vethXmitErrors(i);
      if (errs) ctx.out(`  warning: ${errs} XDP frames could not be transmitted (ethtool -S ${i})`);
    }
    ctx.out(`services: ${state.services.length}, real servers: ${state.reals.length}`);
    ctx.out(`connection table size: ${meta.conn_size}; timeouts tcp ${meta.tcp_timeout} tcpfin ${meta.tcpfin_timeout} udp ${meta.udp_timeout}`);
    const icmp = decodeIcmpConf(dp.maps.lb_icmp_conf.lookup(Buffer.alloc(4))!);
    ctx.out(`port unreachable limits (sysctls at attach): ${icmp ? describeIcmpLimits(icmp) : 'the kernel defaults'}`);
    const names = statNames();
    const counts = readGlobalStats(dp, names.length);
    ctx.out('packets:');
    names.forEach((n, i) => {
      if (counts[i]) ctx.out(`  ${n.padEnd(22)} ${counts[i]}`);
    });
    return 0;
  } finally {
    dp.close();
  }
}
