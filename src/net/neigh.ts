// Makes the kernel resolve a real server's link-layer address. The data plane
// takes next hops from the kernel's neighbour table (bpf_fib_lookup) and drops,
// counted as no_neigh, while one is missing; the kernel only resolves an address
// it is asked to send to. So after adding a real we send it one datagram to the
// discard port (9), which starts ARP / neighbour discovery at once.
import { createSocket } from 'node:dgram';
import type { Addr } from '../model/types.js';

export function probeNeighbours(addrs: Addr[]): void {
  for (const a of addrs) {
    const s = createSocket(a.family === 'inet6' ? 'udp6' : 'udp4');
    s.on('error', () => s.close());
    s.send(Buffer.from('lvs-xdp neighbour probe'), 9, a.ip, () => s.close());
  }
}
