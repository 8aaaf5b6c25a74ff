// `ipvsadm -S[n]`: the table as the commands that rebuild it (print_service_entry()
// with FMT_RULE). Sorted like -L, no header. Thresholds are not saved (ipvsadm never
// did); tunnel reals carry "--tun-type ipip" as 1.31 prints for the kernel's default
// type; lvs-xdp's FULLNAT is saved as --fullnat so -R reads it back.
import type { ForwardMethod, ServiceView } from '../model/types.js';
import { addrPortName, maskText, schedFlagsText } from './format-name.js';
import type { Resolver } from './format-name.js';
import { sortDests, sortServices } from './sort.js';

const SWITCHES: Record<ForwardMethod, string> = { dr: '-g', tun: '-i', nat: '-m', fullnat: '--fullnat' };

export function formatSave(views: readonly ServiceView[], numeric: boolean, resolve?: Resolver): string {
  const sorted = sortServices(views, (v) => v.service);
  let out = '';
  for (const v of sorted) {
    const s = v.service;
    const svc = `${s.protocol === 'tcp' ? '-t' : '-u'} ${addrPortName(s.addr, s.port, s.protocol, numeric, resolve)}`;
    let line = `-A ${svc} -s ${s.scheduler}`;
    if (s.persistence !== undefined) {
      line += ` -p ${s.persistence}`;
      const mask = maskText(s);
      if (mask !== undefined) line += ` -M ${mask}`;
    }
    if (s.onePacket) line += ' -o';
    const flags = schedFlagsText(s);
    if (flags !== '') line += ` -b ${flags}`;
    out += `${line}\n`;
    for (const r of sortDests(v.reals, (r) => r.real)) {
      const real = r.real;
      const dname = addrPortName(real.addr, real.port, s.protocol, numeric, resolve);
      const tun = real.forward === 'tun' ? ' --tun-type ipip' : '';
      out += `-a ${svc} -r ${dname} ${SWITCHES[real.forward]} -w ${real.weight}${tun}\n`;
    }
    // FULLNAT local addresses as the DPVS/Alibaba forks take them (-P … -z LIP), in pool order
    for (const a of v.laddrs ?? []) out += `-P ${svc} -z ${a.ip}\n`;
  }
  return out;
}
