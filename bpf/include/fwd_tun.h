/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fwd_tun.h — IP tunnelling (ipvsadm -i), as IPVS's ip_vs_tunnel_xmit[_v6]:
 * the client's packet, untouched, is put inside a new IP header towards RIP.
 *
 *   real IPv4: outer IPv4, protocol 4 (IPIP) for an IPv4 packet, 41 for IPv6;
 *   real IPv6: outer IPv6, next header 41 (ip6ip6) for IPv6, 4 for IPv4.
 *
 * Outer header: source = the director's address towards RIP (the route's preferred
 * source, bpf_fib_lookup with BPF_FIB_LOOKUP_SRC, cached per real and CPU);
 * TTL / hop limit = the packet's (IPVS does not decrement it); DSCP copied, ECN as
 * INET_ECN_encapsulate() (CE becomes ECT(0)); IPv4 outer: DF copied from an IPv4
 * packet, not set for IPv6 ones; ID 0 with DF (RFC 6864), else the inner ID
 * (IPv4) or a random one; IPv6 outer: flow label 0. Only the outer IPv4 header
 * needs a checksum.
 *
 * MTU: when the packet plus the outer header does not fit the egress MTU, the
 * client gets "fragmentation needed" / "packet too big" with MTU - outer header
 * (icmp.h), as IPVS does; IPv4 without DF is dropped and counted (no
 * fragmentation in XDP).
 */
#ifndef LB_FWD_TUN_H
#define LB_FWD_TUN_H

#include "fwd_nat.h"

#define IPPROTO_IPIP_ 4
#define IPPROTO_IPV6_ 41

/* The director's source address towards real r, cached for LB_NH_TTL_MS. */
static __always_inline __be32 *tun_src(struct xdp_md *ctx, __u32 real_id, struct lb_real *r, __u64 now,
				       __u32 *stat)
{
	struct lb_tun_src *s = bpf_map_lookup_elem(&lb_tun_srcs, &real_id);
	struct bpf_fib_lookup f;
	long rc;

	if (!s) {
		*stat = LB_STAT_DROP_FIB;
		return 0;
	}
	if (s->checked_ns && s->real_seq == r->seq && nh_fresh(now, s->checked_ns))
		return s->saddr;
	fib_params(&f, ctx, r->addr, r->family, 0);
	rc = bpf_fib_lookup(ctx, &f, sizeof(f), BPF_FIB_LOOKUP_SRC | BPF_FIB_LOOKUP_SKIP_NEIGH);
	if (rc != BPF_FIB_LKUP_RET_SUCCESS) {
		s->checked_ns = 0;
		*stat = rc == BPF_FIB_LKUP_RET_FWD_DISABLED ? LB_STAT_DROP_FWD_DISABLED : LB_STAT_DROP_FIB;
		return 0;
	}
	__builtin_memset(s->saddr, 0, 16);
	if (r->family == LB_AF_INET)
		s->saddr[0] = f.ipv4_src;
	else
		__builtin_memcpy(s->saddr, f.ipv6_src, 16);
	s->real_seq = r->seq;
	s->checked_ns = now;
	return s->saddr;
}

/* ECN of an encapsulated packet (INET_ECN_encapsulate): CE is not copied. */
static __always_inline __u8 tun_dsfield(__u8 inner)
{
	return (inner & 0x3) == 0x3 ? (inner & ~0x3) | 0x2 : inner;
}

static __noinline int fwd_tun(struct xdp_md *ctx, struct pkt *p, __u32 real_id, struct lb_real *r,
				   __u64 now)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	__u32 eth_len = (__u32)(p->l3 - data);
	__u32 olen = r->family == LB_AF_INET ? sizeof(struct iphdr) : sizeof(struct ipv6hdr);
	__u32 inner_len = p->l3_len, stat = 0, mtu;
	struct lb_nexthop *nh;
	__be32 src[4], *s;
	__u8 ds, ttl, next, tag[4];
	__be16 df = 0, id = 0;
	struct ethhdr *eth;

	if (eth_len != 14 && eth_len != 18)
		return drop(LB_STAT_DROP_MALFORMED);
	nh = nexthop_get(ctx, real_id, r, 0, now, &stat);
	if (!nh)
		return drop(stat);
	s = tun_src(ctx, real_id, r, now, &stat);
	if (!s)
		return drop(stat);
	__builtin_memcpy(src, s, 16);
	if (cached_mtu_exceeded(ctx, nh->ifindex, nh->mtu, inner_len, olen, &mtu))
		return too_big(ctx, p, mtu - olen);

	if (p->key.family == LB_AF_INET) {
		struct iphdr *iph = p->l3;

		if ((void *)(iph + 1) > end)
			return drop(LB_STAT_DROP_MALFORMED);
		ds = iph->tos;
		ttl = iph->ttl;
		df = iph->frag_off & bpf_htons(IP_DF_);
		id = df ? 0 : iph->id;
		next = IPPROTO_IPIP_;
	} else {
		struct ipv6hdr *ip6 = p->l3;

		if ((void *)(ip6 + 1) > end)
			return drop(LB_STAT_DROP_MALFORMED);
		ds = (__u8)(bpf_ntohl(*(__be32 *)ip6) >> 20);
		ttl = ip6->hop_limit;
		id = (__be16)bpf_get_prandom_u32();
		next = IPPROTO_IPV6_;
	}
	ds = tun_dsfield(ds);
	eth = data;
	if ((void *)(eth + 1) + 4 > end)
		return drop(LB_STAT_DROP_MALFORMED);
	__builtin_memcpy(tag, (void *)(eth + 1) - 2, 4);

	if (bpf_xdp_adjust_head(ctx, -(int)olen))
		return drop(LB_STAT_DROP_XDP_ADJUST);
	data = (void *)(long)ctx->data;
	end = (void *)(long)ctx->data_end;
	eth = data;
	eth_len = VBOUND(eth_len, 0x1f);
	if ((void *)(eth + 1) + 4 > end)
		return drop(LB_STAT_DROP_XDP_ADJUST);
	if (eth_len == 18) {
		__builtin_memcpy((void *)(eth + 1) - 2, tag, 4);
		((struct vlan_hdr *)(eth + 1))->encap_proto =
			bpf_htons(r->family == LB_AF_INET ? ETH_P_IP : ETH_P_IPV6);
	} else {
		eth->h_proto = bpf_htons(r->family == LB_AF_INET ? ETH_P_IP : ETH_P_IPV6);
	}

	if (r->family == LB_AF_INET) {
		struct iphdr *o = data + eth_len;

		if ((void *)(o + 1) > end)
			return drop(LB_STAT_DROP_XDP_ADJUST);
		o->version = 4;
		o->ihl = 5;
		o->tos = ds;
		o->tot_len = bpf_htons((__u16)(inner_len + sizeof(*o)));
		o->id = id;
		o->frag_off = df;
		o->ttl = ttl;
		o->protocol = next;
		o->check = 0;
		o->saddr = src[0];
		o->daddr = r->addr[0];
		o->check = ipv4_hdr_csum20((__u16 *)o);
	} else {
		struct ipv6hdr *o = data + eth_len;

		if ((void *)(o + 1) > end)
			return drop(LB_STAT_DROP_XDP_ADJUST);
		*(__be32 *)o = bpf_htonl((6 << 28) | ((__u32)ds << 20));
		o->payload_len = bpf_htons((__u16)inner_len);
		o->nexthdr = next == IPPROTO_IPIP_ ? IPPROTO_IPIP_ : IPPROTO_IPV6_;
		o->hop_limit = ttl;
		__builtin_memcpy(&o->saddr, src, 16);
		__builtin_memcpy(&o->daddr, r->addr, 16);
	}
	return xmit_to(ctx, nh->ifindex, nh->dmac, nh->smac);
}

#endif /* LB_FWD_TUN_H */
