/* SPDX-License-Identifier: GPL-2.0 */
/*
 * icmp.h — ICMP the director writes or rewrites itself.
 *
 * 1. Too big (icmp_answer, ICMP_ANS_TOO_BIG). A packet that does not fit the egress MTU after
 *    encapsulation (TUN) or rewriting (NAT/FULLNAT) is answered as IPVS does
 *    (ensure_mtu_is_adequate): IPv4 with DF gets "fragmentation needed" with the
 *    usable MTU, IPv6 gets "packet too big"; both from the address the packet was
 *    sent to (the VIP, as icmp_send() picks the local destination), back out the
 *    receiving interface with the MAC addresses swapped. The message quotes as
 *    much of the packet as Linux does: 548 bytes under IPv4 (576-byte datagram),
 *    1232 under IPv6 (1280-byte datagram). IPv4 header: TOS 0xc0|TOS bits of the
 *    packet (icmp_send), TTL / hop limit 64, DF clear as on Linux's ICMP socket
 *    (IP_PMTUDISC_DONT) and so a fresh, unpredictable ID (ip_select_ident's role;
 *    RFC 6864, 7739). IPv4 without DF cannot be fragmented in XDP: dropped, counted.
 *    The same writer (icmp_answer) answers a new connection no real server can
 *    take with a port unreachable (icmp_unreach.h), quoting the whole packet when
 *    it is shorter than the quote, as icmp_send() does.
 *
 * 2. Errors about tracked connections (icmp_parse_error + icmp_rewrite_*): the
 *    packet quoted in an ICMP/ICMPv6 error (destination unreachable, source quench,
 *    time exceeded, and for IPv6 also packet too big and parameter problem — the
 *    types ip_vs_in_icmp/ip_vs_out_icmp look at) is matched against lb_conns; the
 *    dispatch in fwd.h decides where it goes and these helpers rewrite the outer
 *    and the quoted headers with incremental checksum updates. The quoted TCP/UDP
 *    checksum is left as it is, as IPVS's ip_vs_nat_icmp leaves it.
 */
#ifndef LB_ICMP_H
#define LB_ICMP_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "lb_shared.h"
#include "maps.h"
#include "parse.h"
#include "csum.h"

#define ICMP_QUOTE4 548   /* 576 - 20 - 8 */
#define ICMP_QUOTE6 1232  /* 1280 - 40 - 8 */
#define ICMP_DEST_UNREACH_T 3
#define ICMP_SOURCE_QUENCH_T 4
#define ICMP_TIME_EXCEEDED_T 11
#define ICMP_FRAG_NEEDED_C 4
#define ICMP_PORT_UNREACH_C 3
#define ICMPV6_DEST_UNREACH_T 1
#define ICMPV6_PORT_UNREACH_C 4
#define ICMPV6_PKT_TOOBIG_T 2
#define IPPROTO_ICMP_ 1
#define IPPROTO_ICMPV6_ 58
#define IP_DF_ 0x4000

static __always_inline __u32 fold_add(__u32 a, __u32 b)
{
	__u64 s = (__u64)a + b;

	return (__u32)((s & 0xffffffff) + (s >> 32));
}

/*
 * sum plus the n bytes at p (n <= 8 + ICMP_QUOTE6), not folded, 32 bits at a time;
 * the last 1-3 bytes padded with zeros (RFC 1071). A loop, not bpf_csum_diff: the
 * quote's length varies (a port unreachable quotes the whole packet when it is
 * shorter than the quote), and the helper takes only multiples of 4 from memory the
 * verifier has seen bounded by a constant. Returns -1 if the frame is shorter.
 */
static __always_inline __s64 icmp_csum_bytes(__u8 *p, __u32 n, void *end, __u32 sum)
{
	__u64 s = sum;
	__u8 tail[4] = {};
	__u32 i, j, at;

#pragma clang loop unroll(disable)
	for (i = 0; i < (8 + ICMP_QUOTE6) / 4; i++) {
		if (i * 4 + 4 > n)
			break;
		if ((void *)(p + i * 4 + 4) > end)
			return -1;
		s += *(__u32 *)(p + i * 4);
	}
	at = i * 4;
#pragma clang loop unroll(disable)
	for (j = 0; j < 3; j++) {
		if (at + j >= n)
			break;
		if ((void *)(p + at + j + 1) > end)
			return -1;
		tail[j] = p[at + j];
	}
	s += *(__u32 *)tail;
	s = (s & 0xffffffff) + (s >> 32);
	s = (s & 0xffffffff) + (s >> 32);
	return (__u32)s;
}

/* What icmp_answer() writes back to the sender. */
#define ICMP_ANS_TOO_BIG 0      /* fragmentation needed / packet too big, with the MTU */
#define ICMP_ANS_PORT_UNREACH 1 /* port unreachable (icmp_unreach.h) */

/*
 * Turns the packet into an ICMP error about it, to its sender, and sends it back
 * (XDP_TX): a too-big answer (mtu: what the sender may use) or a port unreachable.
 * The packet is parsed again here (the caller's pointers may be stale), Ethernet
 * with at most one VLAN tag. The quote is the first ICMP_QUOTE4/6 bytes of the
 * packet, or all of it when it is shorter (port unreachable; a too-big packet is
 * always longer). Returns the XDP verdict (counted: a too-big answer's failures as
 * DROP_TOO_BIG / DROP_XDP_ADJUST, a port unreachable's as DROP_NO_REAL, which is why
 * the packet was not forwarded).
 */
static __noinline int icmp_answer(struct xdp_md *ctx, __u32 kind, __u32 mtu)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	__u32 eth_len = 14, quote, hdr, frame, cur, l3_len;
	__u32 cannot = kind == ICMP_ANS_TOO_BIG ? LB_STAT_DROP_TOO_BIG : LB_STAT_DROP_NO_REAL;
	__u32 adjust = kind == ICMP_ANS_TOO_BIG ? LB_STAT_DROP_XDP_ADJUST : LB_STAT_DROP_NO_REAL;
	__u8 macs[12], vlan[4], family;
	__be32 src[4] = {}, dst[4] = {};
	__u8 tos = 0, *ic;
	__u32 sum = 0;
	__s64 full;
	__u16 proto;
	void *l3;

	if ((void *)(eth + 1) + 4 > end)
		return drop(cannot);
	proto = bpf_ntohs(eth->h_proto);
	if (proto == ETH_P_8021Q || proto == ETH_P_8021AD) {
		proto = bpf_ntohs(((struct vlan_hdr *)(eth + 1))->encap_proto);
		eth_len = 18;
	}
	__builtin_memcpy(macs, eth->h_source, 6);
	__builtin_memcpy(macs + 6, eth->h_dest, 6);
	__builtin_memcpy(vlan, (void *)(eth + 1) - 2, 4); /* TPID..TCI when tagged */
	l3 = data + eth_len;
	if (proto == ETH_P_IP) {
		struct iphdr *iph = l3;

		if ((void *)(iph + 1) > end)
			return drop(cannot);
		family = LB_AF_INET;
		tos = iph->tos;
		src[0] = iph->daddr;
		dst[0] = iph->saddr;
		l3_len = bpf_ntohs(iph->tot_len);
		quote = ICMP_QUOTE4;
		hdr = sizeof(struct iphdr) + 8;
	} else if (proto == ETH_P_IPV6) {
		struct ipv6hdr *ip6 = l3;

		if ((void *)(ip6 + 1) > end)
			return drop(cannot);
		family = LB_AF_INET6;
		__builtin_memcpy(src, &ip6->daddr, 16);
		__builtin_memcpy(dst, &ip6->saddr, 16);
		l3_len = bpf_ntohs(ip6->payload_len) + sizeof(*ip6);
		quote = ICMP_QUOTE6;
		hdr = sizeof(struct ipv6hdr) + 8;
	} else {
		return drop(cannot);
	}
	if (l3_len < quote) {
		/* A too-big packet is longer than any MTU this quote could not fit in
		 * (IPv4 MTU >= 576 + overhead, IPv6 >= 1280): else it cannot be answered. */
		if (kind == ICMP_ANS_TOO_BIG)
			return drop(cannot);
		quote = l3_len;
	}
	quote = VBOUND(quote, 0x7ff);
	if (data + eth_len + quote > end) /* the IP length was checked before: not expected */
		return drop(cannot);

	frame = eth_len + quote;
	cur = (__u32)(end - data);
	if (bpf_xdp_adjust_tail(ctx, (int)frame - (int)cur))
		return drop(adjust);
	if (bpf_xdp_adjust_head(ctx, -(int)hdr))
		return drop(adjust);

	data = (void *)(long)ctx->data;
	end = (void *)(long)ctx->data_end;
	eth = data;
	eth_len = VBOUND(eth_len, 0x1f);
	if ((void *)(eth + 1) + 4 > end)
		return drop(adjust);
	__builtin_memcpy(eth->h_dest, macs, 12);
	if (eth_len == 18) {
		__builtin_memcpy((void *)(eth + 1) - 2, vlan, 4);
		((struct vlan_hdr *)(eth + 1))->encap_proto =
			bpf_htons(family == LB_AF_INET ? ETH_P_IP : ETH_P_IPV6);
	} else {
		eth->h_proto = bpf_htons(family == LB_AF_INET ? ETH_P_IP : ETH_P_IPV6);
	}

	if (family == LB_AF_INET) {
		struct iphdr *ip = data + eth_len;

		if ((void *)ip + 28 > end)
			return drop(adjust);
		ip->version = 4;
		ip->ihl = 5;
		ip->tos = 0xc0 | (tos & 0x1e);
		ip->tot_len = bpf_htons(20 + 8 + quote);
		ip->id = (__u16)bpf_get_prandom_u32();
		ip->frag_off = 0;
		ip->ttl = 64;
		ip->protocol = IPPROTO_ICMP_;
		ip->check = 0;
		ip->saddr = src[0];
		ip->daddr = dst[0];
		ip->check = ipv4_hdr_csum20((__u16 *)ip);
		ic = (__u8 *)(ip + 1);
		ic[0] = ICMP_DEST_UNREACH_T;
		ic[1] = kind == ICMP_ANS_TOO_BIG ? ICMP_FRAG_NEEDED_C : ICMP_PORT_UNREACH_C;
		*(__u16 *)(ic + 2) = 0;
		*(__u16 *)(ic + 4) = 0;
		*(__u16 *)(ic + 6) = kind == ICMP_ANS_TOO_BIG ? bpf_htons((__u16)mtu) : 0;
	} else {
		struct ipv6hdr *ip6 = data + eth_len;

		if ((void *)ip6 + 48 > end)
			return drop(adjust);
		*(__be32 *)ip6 = bpf_htonl(6 << 28);
		ip6->payload_len = bpf_htons(8 + quote);
		ip6->nexthdr = IPPROTO_ICMPV6_;
		ip6->hop_limit = 64;
		__builtin_memcpy(&ip6->saddr, src, 16);
		__builtin_memcpy(&ip6->daddr, dst, 16);
		ic = (__u8 *)(ip6 + 1);
		ic[0] = kind == ICMP_ANS_TOO_BIG ? ICMPV6_PKT_TOOBIG_T : ICMPV6_DEST_UNREACH_T;
		ic[1] = kind == ICMP_ANS_TOO_BIG ? 0 : ICMPV6_PORT_UNREACH_C;
		*(__u16 *)(ic + 2) = 0;
		*(__be32 *)(ic + 4) = kind == ICMP_ANS_TOO_BIG ? bpf_htonl(mtu) : 0;
		/* pseudo-header: addresses, upper-layer length, next header */
		sum = bpf_csum_diff(0, 0, (__be32 *)&ip6->saddr, 32, 0);
		sum = fold_add(sum, bpf_htonl(8 + quote));
		sum = fold_add(sum, bpf_htonl(IPPROTO_ICMPV6_));
	}
	full = icmp_csum_bytes(ic, 8 + quote, end, sum);
	if (full < 0)
		return drop(adjust);
	if ((void *)(ic + 4) > end)
		return drop(adjust);
	*(__u16 *)(ic + 2) = csum_fold32((__u32)full);
	lb_count(kind == ICMP_ANS_TOO_BIG ? LB_STAT_ICMP_TOO_BIG : LB_STAT_ICMP_UNREACH);
	lb_count(LB_STAT_TX);
	return XDP_TX;
}

/* ---- errors quoting a packet of a tracked connection ---- */

/* Where things are in an ICMP error: offsets from the start of the frame, so they
 * survive re-reading ctx->data. */
struct icmp_err {
	struct lb_conn_key key; /* the quoted packet's 5-tuple as it was sent */
	__u32 icmp_off;         /* ICMP header */
	__u32 in_off;           /* quoted IP header */
	__u32 in_l4_off;        /* quoted TCP/UDP header (ports) */
};

static __always_inline int icmp_is_error(__u8 type, __u8 family)
{
	if (family == LB_AF_INET)
		return type == ICMP_DEST_UNREACH_T || type == ICMP_SOURCE_QUENCH_T ||
		       type == ICMP_TIME_EXCEEDED_T;
	return type < 128; /* ICMPv6 error messages (RFC 4443) */
}

/* Parses an ICMP error whose quoted packet is TCP/UDP with its ports present.
 * Returns 0 and fills e, or -1 (not one: the packet goes on as it would). */
static __always_inline int icmp_parse_error(struct xdp_md *ctx, struct pkt *p, void *l4, struct icmp_err *e)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	__u8 *ic = l4;
	void *in = ic + 8;
	__u32 hlen;
	__be16 *ports;

	if ((void *)(ic + 8) > end || !icmp_is_error(ic[0], p->key.family))
		return -1;
	e->icmp_off = (__u32)((void *)ic - data);
	e->in_off = e->icmp_off + 8;
	if (p->key.family == LB_AF_INET) {
		struct iphdr *iph = in;

		if ((void *)(iph + 1) > end || iph->version != 4 || iph->ihl < 5)
			return -1;
		if (iph->frag_off & bpf_htons(0x1fff))
			return -1; /* not the first fragment: no ports quoted */
		hlen = (iph->ihl & 0xf) * 4;
		e->key.proto = iph->protocol;
		e->key.saddr[0] = iph->saddr;
		e->key.daddr[0] = iph->daddr;
	} else {
		struct ipv6hdr *ip6 = in;

		if ((void *)(ip6 + 1) > end || ip6->version != 6)
			return -1;
		hlen = sizeof(*ip6);
		e->key.proto = ip6->nexthdr;
		__builtin_memcpy(e->key.saddr, &ip6->saddr, 16);
		__builtin_memcpy(e->key.daddr, &ip6->daddr, 16);
	}
	if (e->key.proto != IPPROTO_TCP && e->key.proto != IPPROTO_UDP)
		return -1;
	ports = in + hlen;
	if ((void *)(ports + 2) > end)
		return -1;
	e->key.sport = ports[0];
	e->key.dport = ports[1];
	e->key.family = p->key.family;
	e->in_l4_off = e->in_off + hlen;
	/* An error goes to the sender of the packet it quotes. */
	if (!addr_eq(p->key.daddr, e->key.saddr))
		return -1;
	return 0;
}

/*
 * Rewrites an ICMP error in place (n): outer source/destination to osrc/odst, the quoted
 * packet's addresses and ports to isrc:isport → idst:idport; dec_ttl also takes one
 * off the outer TTL / hop limit. Every checksum concerned is updated incrementally:
 * outer IPv4 header; the ICMP checksum (which covers the quoted bytes, and for
 * ICMPv6 the outer addresses); the quoted IPv4 header's checksum.
 * Returns 0, or -1 when the packet is not where e says (never after a change).
 */
struct icmp_nat {
	__be32 osrc[4];
	__be32 odst[4];
	__be32 isrc[4];
	__be32 idst[4];
	__be16 isport;
	__be16 idport;
	__u32 dec_ttl;
};

static __noinline int icmp_rewrite(struct xdp_md *ctx, struct pkt *p, struct icmp_err *e, struct icmp_nat *n)
{
	const __be32 *osrc = n->osrc, *odst = n->odst, *isrc = n->isrc, *idst = n->idst;
	__be16 isport = n->isport, idport = n->idport;
	int dec_ttl = n->dec_ttl;
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	__u32 icmp_off = VBOUND(e->icmp_off, 0xff), in_off = VBOUND(e->in_off, 0xff);
	__u32 l4_off = VBOUND(e->in_l4_off, 0x1ff);
	__u16 *icsum = data + icmp_off + 2;
	__be16 *ports = data + l4_off;
	__u16 c;

	if ((void *)(icsum + 1) > end || (void *)(ports + 2) > end)
		return -1;
	c = *icsum;
	if (p->key.family == LB_AF_INET) {
		struct iphdr *oh = p->l3;
		struct iphdr *ih = data + in_off;
		__u16 ic;

		if ((void *)(oh + 1) > end || (void *)(ih + 1) > end)
			return -1;
		/* quoted header: its checksum follows its addresses; the ICMP sum sees both */
		ic = ih->check;
		ih->check = csum_replace4(ih->check, ih->saddr, isrc[0]);
		ih->check = csum_replace4(ih->check, ih->daddr, idst[0]);
		c = csum_replace2(c, ic, ih->check);
		c = csum_replace4(c, ih->saddr, isrc[0]);
		c = csum_replace4(c, ih->daddr, idst[0]);
		ih->saddr = isrc[0];
		ih->daddr = idst[0];
		/* outer header (not covered by the ICMPv4 checksum) */
		oh->check = csum_replace4(oh->check, oh->saddr, osrc[0]);
		oh->check = csum_replace4(oh->check, oh->daddr, odst[0]);
		oh->saddr = osrc[0];
		oh->daddr = odst[0];
		if (dec_ttl) {
			__u16 old = *(__u16 *)&oh->ttl;

			oh->ttl--;
			oh->check = csum_replace2(oh->check, old, *(__u16 *)&oh->ttl);
		}
	} else {
		struct ipv6hdr *oh = p->l3;
		struct ipv6hdr *ih = data + in_off;

		__s64 d;

		if ((void *)(oh + 1) > end || (void *)(ih + 1) > end)
			return -1;
		/* saddr, daddr are adjacent in the header and so are isrc, idst and
		 * osrc, odst in n: two diffs cover all four addresses */
		d = bpf_csum_diff((__be32 *)&ih->saddr, 32, n->isrc, 32, 0);
		d = bpf_csum_diff((__be32 *)&oh->saddr, 32, n->osrc, 32, (__u32)d);
		c = csum_apply_diff(c, d);
		__builtin_memcpy(&ih->saddr, isrc, 16);
		__builtin_memcpy(&ih->daddr, idst, 16);
		__builtin_memcpy(&oh->saddr, osrc, 16);
		__builtin_memcpy(&oh->daddr, odst, 16);
		if (dec_ttl)
			oh->hop_limit--;
	}
	c = csum_replace2(c, ports[0], isport);
	c = csum_replace2(c, ports[1], idport);
	ports[0] = isport;
	ports[1] = idport;
	*icsum = c;
	return 0;
}

#endif /* LB_ICMP_H */
