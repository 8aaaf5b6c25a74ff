// A built-in slice of /etc/services (Debian netbase names). ipvsadm uses
// getservbyname/getservbyport; lvs-xdp keeps parsing and formatting pure, so the
// common names live here. The first name of an entry is what getservbyport returns.
import type { Protocol } from '../model/types.js';

interface ServiceName {
  names: readonly string[];
  port: number;
  protocols: readonly Protocol[];
}

const BOTH: readonly Protocol[] = ['tcp', 'udp'];
const TCP: readonly Protocol[] = ['tcp'];
const UDP: readonly Protocol[] = ['udp'];

const TABLE: readonly ServiceName[] = [
  { names: ['ftp-data'], port: 20, protocols: TCP },
  { names: ['ftp'], port: 21, protocols: TCP },
  { names: ['ssh'], port: 22, protocols: TCP },
  { names: ['telnet'], port: 23, protocols: TCP },
  { names: ['smtp', 'mail'], port: 25, protocols: TCP },
  { names: ['domain'], port: 53, protocols: BOTH },
  { names: ['tftp'], port: 69, protocols: UDP },
  { names: ['http', 'www'], port: 80, protocols: BOTH },
  { names: ['kerberos', 'kerberos5', 'krb5', 'kerberos-sec'], port: 88, protocols: BOTH },
  { names: ['pop3', 'pop-3'], port: 110, protocols: TCP },
  { names: ['sunrpc', 'portmapper'], port: 111, protocols: BOTH },
  { names: ['ntp'], port: 123, protocols: UDP },
  { names: ['imap2', 'imap'], port: 143, protocols: TCP },
  { names: ['snmp'], port: 161, protocols: UDP },
  { names: ['ldap'], port: 389, protocols: TCP },
  { names: ['https'], port: 443, protocols: BOTH },
  { names: ['submissions', 'ssmtp', 'smtps', 'urd'], port: 465, protocols: TCP },
  { names: ['syslog'], port: 514, protocols: UDP },
  { names: ['submission'], port: 587, protocols: TCP },
  { names: ['ldaps'], port: 636, protocols: TCP },
  { names: ['imaps'], port: 993, protocols: TCP },
  { names: ['pop3s'], port: 995, protocols: TCP },
  { names: ['ms-sql-s'], port: 1433, protocols: TCP },
  { names: ['openvpn'], port: 1194, protocols: BOTH },
  { names: ['mysql'], port: 3306, protocols: TCP },
  { names: ['postgresql', 'postgres'], port: 5432, protocols: TCP },
  { names: ['redis'], port: 6379, protocols: TCP },
  { names: ['http-alt', 'webcache'], port: 8080, protocols: TCP },
];

/** getservbyname(name, proto): the port, or undefined. Names are case-sensitive, as in libc. */
export function portByName(name: string, protocol: Protocol): number | undefined {
  return TABLE.find((e) => e.protocols.includes(protocol) && e.names.includes(name))?.port;
}

/**
 * getservbyport(port, proto): the service's first name, or undefined.
 * protocol is undefined for persistence templates (ipvsadm passes IPPROTO_IP: no name).
 */
export function nameByPort(port: number, protocol: Protocol | undefined): string | undefined {
  if (protocol === undefined) return undefined;
  return TABLE.find((e) => e.port === port && e.protocols.includes(protocol))?.names[0];
}
