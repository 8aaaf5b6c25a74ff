// SPDX-License-Identifier: GPL-2.0
/*
 * decap.bpf.c — the TUN real server's side, without the ipip/ip6_tunnel modules:
 * an XDP program on the real server's interface that strips the outer header of
 * IPIP (IPv4 in IPv4), SIT-style IPv6 in IPv4, ip6ip6 and IPv4 in IPv6 packets and
 * hands the inner packet to the kernel, which delivers it to the VIP on lo.
 *
 * Only packets addressed to this host (outer destination in decap_locals, the
 * host's own addresses, written by `lvs-xdp realserver up --mode tun`) whose inner
 * destination is a configured VIP (decap_vips) are touched; everything else passes
 * unchanged. Outer IPv4 fragments and outer IPv6 extension headers pass (the
 * director never sends them). The inner packet is not checked beyond its header:
 * the kernel validates it as any received packet.
 *
 * XDP rather than tc: the outer header goes before the kernel allocates an skb,
 * GRO then sees the inner TCP flow, and the program needs nothing but an attach.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

char LICENSE[] SEC("license") = "GPL";

#ifndef IPPROTO_IPIP
#define IPPROTO_IPIP 4
#endif

struct decap_key {
	__u32 family; /* 2 or 10 */
	__be32 addr[4];
};

enum decap_stat {
	DECAP_STAT_DONE = 0,      /* outer header removed, inner packet passed */
	DECAP_STAT_PASS_OTHER,    /* not a tunnel packet: passed unchanged */
	DECAP_STAT_PASS_NOT_OURS, /* tunnel packet not for this host or not for a VIP */
	DECAP_STAT_PASS_MALFORMED,/* truncated/inconsistent headers: the kernel decides */
	DECAP_STAT_DROP_ADJUST,   /* bpf_xdp_adjust_head refused */
	DECAP_STAT__MAX,
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, struct decap_key);
	__type(value, __u8);
} decap_vips SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, struct decap_key);
	__type(value, __u8);
} decap_locals SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, __u64);
} decap_stats SEC(".maps");

static __always_inline int count(__u32 stat, int verdict)
{
	__u64 *v = bpf_map_lookup_elem(&decap_stats, &stat);

	if (v)
		*v += 1;
	return verdict;
}

static __always_inline int known(void *map, __u32 family, const void *addr)
{
	struct decap_key k = { .family = family };

	__builtin_memcpy(k.addr, addr, family == 2 ? 4 : 16);
	return bpf_map_lookup_elem(map, &k) != 0;
}

SEC("xdp")
int decap_xdp(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	__u32 eth_len = sizeof(*eth), olen, inner_family;
	__u16 proto;
	__u8 next;
	void *l3, *inner;
	__u8 hdr[18];

	if ((void *)(eth + 1) + 4 > end)
		return count(DECAP_STAT_PASS_OTHER, XDP_PASS);
	proto = bpf_ntohs(eth->h_proto);
	if (proto == ETH_P_8021Q || proto == ETH_P_8021AD) {
		proto = bpf_ntohs(*(__be16 *)((void *)(eth + 1) + 2));
		eth_len = 18;
	}
	l3 = data + eth_len;
	if (proto == ETH_P_IP) {
		struct iphdr *o = l3;

		if ((void *)(o + 1) > end)
			return count(DECAP_STAT_PASS_MALFORMED, XDP_PASS);
		if (o->protocol != IPPROTO_IPIP && o->protocol != IPPROTO_IPV6)
			return count(DECAP_STAT_PASS_OTHER, XDP_PASS);
		if (o->ihl != 5 || (o->frag_off & bpf_htons(0x3fff)))
			return count(DECAP_STAT_PASS_MALFORMED, XDP_PASS);
		olen = sizeof(*o);
		next = o->protocol;
		if (!known(&decap_locals, 2, &o->daddr))
			return count(DECAP_STAT_PASS_NOT_OURS, XDP_PASS);
	} else if (proto == ETH_P_IPV6) {
		struct ipv6hdr *o = l3;

		if ((void *)(o + 1) > end)
			return count(DECAP_STAT_PASS_MALFORMED, XDP_PASS);
		if (o->nexthdr != IPPROTO_IPIP && o->nexthdr != IPPROTO_IPV6)
			return count(DECAP_STAT_PASS_OTHER, XDP_PASS);
		olen = sizeof(*o);
		next = o->nexthdr;
		if (!known(&decap_locals, 10, &o->daddr))
			return count(DECAP_STAT_PASS_NOT_OURS, XDP_PASS);
	} else {
		return count(DECAP_STAT_PASS_OTHER, XDP_PASS);
	}

	inner = l3 + olen;
	if (next == IPPROTO_IPIP) {
		struct iphdr *i = inner;

		if ((void *)(i + 1) > end || i->version != 4)
			return count(DECAP_STAT_PASS_MALFORMED, XDP_PASS);
		if (!known(&decap_vips, 2, &i->daddr))
			return count(DECAP_STAT_PASS_NOT_OURS, XDP_PASS);
		inner_family = 2;
	} else {
		struct ipv6hdr *i = inner;

		if ((void *)(i + 1) > end || i->version != 6)
			return count(DECAP_STAT_PASS_MALFORMED, XDP_PASS);
		if (!known(&decap_vips, 10, &i->daddr))
			return count(DECAP_STAT_PASS_NOT_OURS, XDP_PASS);
		inner_family = 10;
	}

	/* Ethernet header (and tag) moves up to where the inner header starts. */
	__builtin_memcpy(hdr, data, 18);
	if (bpf_xdp_adjust_head(ctx, (int)olen))
		return count(DECAP_STAT_DROP_ADJUST, XDP_DROP);
	data = (void *)(long)ctx->data;
	end = (void *)(long)ctx->data_end;
	if (data + 18 > end)
		return count(DECAP_STAT_PASS_MALFORMED, XDP_PASS);
	__builtin_memcpy(data, hdr, 12);
	if (eth_len == 18) {
		__builtin_memcpy(data + 12, hdr + 12, 4);
		*(__be16 *)(data + 16) = bpf_htons(inner_family == 2 ? ETH_P_IP : ETH_P_IPV6);
	} else {
		*(__be16 *)(data + 12) = bpf_htons(inner_family == 2 ? ETH_P_IP : ETH_P_IPV6);
	}
	return count(DECAP_STAT_DONE, XDP_PASS);
}
