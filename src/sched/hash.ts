// The kernel's hashes of the hashing schedulers, bit for bit, so tables built
// here and lookups done in the data plane (bpf/include/sched_hash.h) agree with
// IPVS.
//
//   fold(a)   = ntohl(a) (IPv4); ntohl(a0 ^ a1 ^ a2 ^ a3) (IPv6)
//   sh(b, o)  = (o + b * 2654435761) & 255,  b = port + fold   ip_vs_sh_hashkey()
//   dh        = (fold(daddr) * 2654435761) & 255               ip_vs_dh_hashkey()
//   mh(b, o)  = hsiphash(o + b, key) % 4093                    ip_vs_mh_hashkey()
//
// hsiphash() on a 64-bit kernel is SipHash-1-3 with a 128-bit key, truncated to
// 32 bits (lib/siphash.c: "on 64-bit, we make HalfSipHash1-3 actually be
// SipHash1-3"); ip_vs_mh.c keys it with {2654435761, 2654435761} (hash1) and
// {2654446892, 2654446892} (hash2). A 32-bit kernel uses real HalfSipHash and so
// builds other mh tables; we follow the 64-bit kernels.
import { isIPv4 } from 'node:net';
import type { Addr } from '../model/types.js';
import { ipv6Bytes } from '../bpf/addr.js';

export const HASH_TAB_SIZE = 256;
export const MH_TAB_SIZE = 4093;
export const MH_KEY1 = 2654435761n;
export const MH_KEY2 = 2654446892n;
const GOLDEN = 2654435761 | 0;

/** ntohl of the address folded to 32 bits. */
export function addrFold(a: Addr | string): number {
  const ip = typeof a === 'string' ? a : a.ip;
  if (isIPv4(ip)) return ip.split('.').reduce((acc, o) => ((acc << 8) | Number(o)) >>> 0, 0);
  const b = ipv6Bytes(ip);
  let f = 0;
  for (let i = 0; i < 16; i += 4) f ^= b.readUInt32BE(i);
  return f >>> 0;
}

export function shHash(base: number, offset = 0): number {
  return (offset + Math.imul(base >>> 0, GOLDEN)) & (HASH_TAB_SIZE - 1);
}

const M64 = (1n << 64n) - 1n;
const rotl = (x: bigint, b: bigint): bigint => ((x << b) | (x >> (64n - b))) & M64;

/** hsiphash(&v, 4, {k, k}) of a 64-bit kernel. */
export function hsiphash32(v: number, k: bigint): number {
  let v0 = 0x736f6d6570736575n ^ k;
  let v1 = 0x646f72616e646f6dn ^ k;
  let v2 = 0x6c7967656e657261n ^ k;
  let v3 = 0x7465646279746573n ^ k;
  const round = (): void => {
    v0 = (v0 + v1) & M64; v1 = rotl(v1, 13n); v1 ^= v0; v0 = rotl(v0, 32n);
    v2 = (v2 + v3) & M64; v3 = rotl(v3, 16n); v3 ^= v2;
    v0 = (v0 + v3) & M64; v3 = rotl(v3, 21n); v3 ^= v0;
    v2 = (v2 + v1) & M64; v1 = rotl(v1, 17n); v1 ^= v2; v2 = rotl(v2, 32n);
  };
  const b = (4n << 56n) | BigInt(v >>> 0);
  v3 ^= b;
  round();
  v0 ^= b;
  v2 ^= 0xffn;
  round();
  round();
  round();
  return Number((v0 ^ v1 ^ v2 ^ v3) & 0xffffffffn);
}

export function mhHash(base: number, offset = 0, key = MH_KEY1): number {
  return hsiphash32((offset + base) >>> 0, key) % MH_TAB_SIZE;
}
