// The 32-bit value of an IPv4 address in the canonical text lvs-xdp keeps in Addr.ip
// (a dotted quad without leading zeros), read digit by digit without allocating:
// -R encodes and -Ln sorts 16,000 of them. Anything else is null, for the caller's
// general parser (inet_aton, net.isIPv4) to read its own way.

export function dottedQuadValue(ip: string): number | null {
  let value = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < ip.length; i++) {
    const c = ip.charCodeAt(i);
    if (c === 46 /* . */ && digits > 0 && dots < 3 && part <= 255) {
      value = value * 256 + part;
      part = 0;
      digits = 0;
      dots++;
    } else if (c >= 48 && c <= 57 && !(digits === 1 && part === 0) && digits < 3) {
      part = part * 10 + (c - 48);
      digits++;
    } else {
      return null;
    }
  }
  return dots === 3 && digits > 0 && part <= 255 ? value * 256 + part : null;
}
