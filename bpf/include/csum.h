/* SPDX-License-Identifier: GPL-2.0 */
/*
 * csum.h — Internet checksums (RFC 1071) and their incremental update (RFC 1624).
 *
 * A NAT rewrite changes a few 16-bit words of a packet; instead of summing the
 * whole segment again, each checksum is updated by HC' = ~(~HC + ~m + m')
 * (RFC 1624, eqn. 3), word by word. The same update serves the IPv4 header
 * checksum, the TCP/UDP checksum (addresses are in their pseudo-header) and the
 * ICMP/ICMPv6 checksum (which covers the quoted packet).
 *
 * UDP over IPv4 may carry no checksum (0): it stays 0 (RFC 768). A computed UDP
 * checksum of 0 is sent as 0xffff, for IPv4 and IPv6 alike (RFC 768, RFC 8200).
 */
#ifndef LB_CSUM_H
#define LB_CSUM_H

#include <linux/types.h>
#include <linux/in.h>
#include <bpf/bpf_endian.h>

static __always_inline __u16 csum_fold32(__u32 sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)~sum;
}

/* Checksum field value after one 16-bit word changed from `from` to `to`
 * (all in network byte order, as they sit in the packet). */
static __always_inline __u16 csum_replace2(__u16 check, __u16 from, __u16 to)
{
	__u32 sum = (__u16)~check;

	sum += (__u16)~from;
	sum += to;
	return csum_fold32(sum);
}

static __always_inline __u16 csum_replace4(__u16 check, __u32 from, __u32 to)
{
	__u32 sum = (__u16)~check;

	sum += (__u16)~(from & 0xffff);
	sum += (__u16)~(from >> 16);
	sum += to & 0xffff;
	sum += to >> 16;
	return csum_fold32(sum);
}

/* A 128-bit address (four 32-bit words, network order) changed. */
static __always_inline __u16 csum_replace16(__u16 check, const __be32 *from, const __be32 *to)
{
	__u32 sum = (__u16)~check;

#pragma unroll
	for (int i = 0; i < 4; i++) {
		sum += (__u16)~(from[i] & 0xffff);
		sum += (__u16)~(from[i] >> 16);
		sum += to[i] & 0xffff;
		sum += to[i] >> 16;
	}
	return csum_fold32(sum);
}

/* Applies a difference from bpf_csum_diff() (sum of the new words minus the old
 * ones) to a checksum field. */
static __always_inline __u16 csum_apply_diff(__u16 check, __s64 diff)
{
	__u64 sum = (__u16)~check;

	sum += (__u32)diff;
	sum = (sum & 0xffffffff) + (sum >> 32);
	return csum_fold32((__u32)sum);
}

/* An address of `family` (enum lb_family: 2 or 10) changed. */
static __always_inline __u16 csum_replace_addr(__u16 check, const __be32 *from, const __be32 *to,
					       __u8 family)
{
	if (family == 2)
		return csum_replace4(check, from[0], to[0]);
	return csum_replace16(check, from, to);
}

/* Bounds a value for the verifier (which cannot follow values the compiler
 * proved): an opaque copy masked. */
#define VBOUND(x, mask) ({ __u32 __v = (x); asm volatile("" : "+r"(__v)); __v & (mask); })

/* Two addresses (four words each) are the same. */
static __always_inline int addr_eq(const __be32 *a, const __be32 *b)
{
	return a[0] == b[0] && a[1] == b[1] && a[2] == b[2] && a[3] == b[3];
}

/* Full checksum of a 20-byte IPv4 header without options (the check field must
 * be 0 or is summed as it stands: callers zero it first). */
static __always_inline __u16 ipv4_hdr_csum20(const __u16 *w)
{
	__u32 sum = 0;

#pragma unroll
	for (int i = 0; i < 10; i++)
		sum += w[i];
	return csum_fold32(sum);
}

/*
 * Where the L4 checksum of a TCP or UDP segment sits, as an offset from the L4
 * header; the caller bounds-checks. UDP over IPv4 with a zero checksum has none
 * to update: returns 0 in *present.
 */
static __always_inline __u16 *l4_csum_ptr(void *l4, __u8 proto, __u8 family, void *end, int *present)
{
	__u16 *c;

	*present = 0;
	if (proto == IPPROTO_TCP)
		c = (__u16 *)(l4 + 16);
	else if (proto == IPPROTO_UDP)
		c = (__u16 *)(l4 + 6);
	else
		return 0;
	if ((void *)(c + 1) > end)
		return 0;
	if (proto == IPPROTO_UDP && family == 2 && *c == 0)
		return c; /* present = 0: keep the "no checksum" zero */
	*present = 1;
	return c;
}

/* A UDP checksum that came out as 0 is sent as all ones (0 means "none"). */
static __always_inline __u16 l4_csum_final(__u16 c, __u8 proto)
{
	if (proto == IPPROTO_UDP && c == 0)
		return 0xffff;
	return c;
}

#endif /* LB_CSUM_H */
