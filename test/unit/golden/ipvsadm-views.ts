// Views shared by the -L and -S format tests: the reference document's example table.
import type { Addr, Real, Service, Stats } from '../../../src/model/types.js';
import { zeroStats } from '../../../src/model/types.js';
import type { ListedReal, ListedService, Rates } from '../../../src/ipvsadm/format-list.js';
import type { ListOptions } from '../../../src/ipvsadm/command.js';

export const v4 = (ip: string): Addr => ({ family: 'inet', ip });
export const v6 = (ip: string): Addr => ({ family: 'inet6', ip });

export function stats(conns: number, inPkts: number, outPkts: number, inBytes: bigint | number, outBytes: bigint | number): Stats {
  return { conns: BigInt(conns), inPkts: BigInt(inPkts), outPkts: BigInt(outPkts), inBytes: BigInt(inBytes), outBytes: BigInt(outBytes) };
}

export function svc(p: Partial<Service> & Pick<Service, 'addr' | 'port'>): Service {
  return { protocol: 'tcp', scheduler: 'wlc', onePacket: false, schedFlags: [], ...p };
}

export function real(
  p: Partial<Real> & Pick<Real, 'addr' | 'port'>, active = 0, inactive = 0, persist = 0, st: Stats = zeroStats(), rates?: Rates,
): ListedReal {
  const r: ListedReal = {
    real: { forward: 'dr', weight: 1, upperThreshold: 0, lowerThreshold: 0, ...p },
    counts: { activeConns: active, inactiveConns: inactive, persistConns: persist },
    stats: st,
  };
  if (rates) r.rates = rates;
  return r;
}

export function view(service: Service, reals: ListedReal[], st: Stats = zeroStats(), rates?: Rates): ListedService {
  const v: ListedService = { service, stats: st, reals };
  if (rates) v.rates = rates;
  return v;
}

export function listOpts(p: Partial<ListOptions> = {}): ListOptions {
  return {
    numeric: true, connections: false, timeout: false, daemon: false, stats: false, rate: false, thresholds: false,
    persistentConn: false, tunInfo: false, exact: false, nosort: false, json: false, ...p,
  };
}

/** The reference's example (its fwmark service left out: lvs-xdp has none yet). */
export function referenceTable(): ListedService[] {
  return [
    view(svc({ protocol: 'udp', addr: v4('192.0.2.10'), port: 53, scheduler: 'rr', onePacket: true }), [
      real({ addr: v4('10.0.0.21'), port: 53, forward: 'nat' }, 0, 3),
    ]),
    view(
      svc({ addr: v4('192.0.2.10'), port: 80, persistence: 300, netmask: '255.255.255.0' }),
      [real({ addr: v4('10.0.0.11'), port: 80, weight: 100, upperThreshold: 500, lowerThreshold: 100 }, 12, 40, 7,
        stats(1200, 90000, 0, 5400000, 0))],
      stats(2300, 171234, 0, 123456789012n, 0),
    ),
  ];
}
