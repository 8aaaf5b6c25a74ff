/* SPDX-License-Identifier: GPL-2.0 */
/*
 * parse.h — header parsing with a cursor, xdp-tools style: each parse_* helper
 * checks bounds, advances the cursor and returns the next protocol or -1.
 */
#ifndef LB_PARSE_H
#define LB_PARSE_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/in.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>
#include "lb_shared.h"

struct cursor {
	void *pos;
	void *end;
};

struct vlan_hdr {
	__be16 tci;
	__be16 encap_proto;
};

/* What the rest of the program needs to know about a packet. */
struct pkt {
	struct lb_conn_key key;  /* client-side 5-tuple, also the service lookup input */
	void *l3;
	void *l4;
	__u32 l3_len;            /* IP total length: what IPVS counts as bytes */
	__u8 tcp_flags;          /* 0 for UDP */
	/* Set by the entry point when it already knows the client-side connection entry,
	 * so the NAT/FULLNAT forwarding steps need not look it up again: conn on a
	 * conntrack hit (NULL otherwise), paired when that entry (or the flow cache's
	 * copy of it, flowcache.h) is known to have its reverse entry. */
	__u8 paired;
	/* The key's flowcache.h hash (low 16 bits: enough for either cache's slot index),
	 * set once by the entry point for every probe and fill of the per-CPU caches. In
	 * the padding before conn: the stack the entry point and its subprograms share is
	 * used up to the byte. */
	__u16 flow_hash;
	struct lb_conn *conn;
};

#define TCPF_FIN 0x01
#define TCPF_SYN 0x02
#define TCPF_RST 0x04
#define TCPF_ACK 0x10

/* Ethernet with at most one 802.1Q/802.1ad tag. Returns the ethertype (host order). */
static __always_inline int parse_eth(struct cursor *c)
{
	struct ethhdr *eth = c->pos;
	__u16 proto;

	if ((void *)(eth + 1) > c->end)
		return -1;
	c->pos = eth + 1;
	proto = bpf_ntohs(eth->h_proto);
	if (proto == ETH_P_8021Q || proto == ETH_P_8021AD) {
		struct vlan_hdr *vh = c->pos;

		if ((void *)(vh + 1) > c->end)
			return -1;
		c->pos = vh + 1;
		proto = bpf_ntohs(vh->encap_proto);
	}
	return proto;
}

enum parse_l3_result {
	L3_OK = 0,
	L3_MALFORMED = -1,
	L3_FRAGMENT = -2,
	L3_EXT = -3,
};

static __always_inline __u32 csum_fold_ok(__u32 sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return sum == 0xffff;
}

/*
 * IPv4 header checksum check: the folded sum of the header's 16-bit words is
 * 0xffff when it is right. The usual 20-byte header is summed in place, unrolled;
 * a header with options is copied out first (bpf_xdp_load_bytes), because a
 * variable-length walk over packet memory is what the verifier cannot follow.
 */
static __always_inline int ipv4_csum_ok(struct xdp_md *ctx, struct iphdr *iph, void *end)
{
	__u16 *w = (__u16 *)iph;
	__u16 buf[30];
	__u32 hlen, sum = 0;

	if ((void *)(w + 10) > end)
		return 0;
	if (iph->ihl == 5) {
#pragma unroll
		for (int i = 0; i < 10; i++)
			sum += w[i];
		return csum_fold_ok(sum);
	}
	hlen = iph->ihl * 4;
	if (hlen < 24 || hlen > 60)
		return 0;
	__builtin_memset(buf, 0, sizeof(buf));
	if (bpf_xdp_load_bytes(ctx, (void *)iph - (void *)(long)ctx->data, buf, hlen) < 0)
		return 0;
#pragma unroll
	for (int i = 0; i < 30; i++)
		sum += buf[i]; /* words past hlen are zero */
	return csum_fold_ok(sum);
}

/* IPv4 with options. Fills the addresses and protocol of p->key. */
static __always_inline int parse_ipv4(struct cursor *c, struct pkt *p)
{
	struct iphdr *iph = c->pos;
	__u32 hlen, tot;

	if ((void *)(iph + 1) > c->end)
		return L3_MALFORMED;
	if (iph->version != 4 || iph->ihl < 5)
		return L3_MALFORMED;
	hlen = iph->ihl * 4;
	tot = bpf_ntohs(iph->tot_len);
	/* Frames may carry Ethernet padding past tot_len, never less than it. */
	if (tot < hlen || (void *)iph + tot > c->end || (void *)iph + hlen > c->end)
		return L3_MALFORMED;
	p->l3 = iph;
	p->l3_len = tot;
	p->key.family = LB_AF_INET;
	p->key.proto = iph->protocol;
	p->key.saddr[0] = iph->saddr;
	p->key.daddr[0] = iph->daddr;
	if (iph->frag_off & bpf_htons(0x3fff)) /* MF or a fragment offset */
		return L3_FRAGMENT;
	c->pos = (void *)iph + hlen;
	return L3_OK;
}

/* IPv6: TCP/UDP must follow the fixed header directly; extension headers are
 * reported (fragment header separately) and left to the kernel. */
static __always_inline int parse_ipv6(struct cursor *c, struct pkt *p)
{
	struct ipv6hdr *ip6 = c->pos;
	__u32 plen;

	if ((void *)(ip6 + 1) > c->end)
		return L3_MALFORMED;
	if (ip6->version != 6)
		return L3_MALFORMED;
	plen = bpf_ntohs(ip6->payload_len);
	if ((void *)(ip6 + 1) + plen > c->end)
		return L3_MALFORMED;
	p->l3 = ip6;
	p->l3_len = plen + sizeof(*ip6);
	p->key.family = LB_AF_INET6;
	p->key.proto = ip6->nexthdr;
	__builtin_memcpy(p->key.saddr, &ip6->saddr, 16);
	__builtin_memcpy(p->key.daddr, &ip6->daddr, 16);
	c->pos = ip6 + 1;
	switch (ip6->nexthdr) {
	case IPPROTO_TCP:
	case IPPROTO_UDP:
	case IPPROTO_ICMPV6:
		return L3_OK;
	case IPPROTO_FRAGMENT:
		return L3_FRAGMENT;
	case IPPROTO_HOPOPTS:
	case IPPROTO_ROUTING:
	case IPPROTO_DSTOPTS:
	case IPPROTO_AH:
	case IPPROTO_ESP:
	case IPPROTO_MH:
		return L3_EXT;
	default:
		return L3_OK;
	}
}

/* Ports of TCP/UDP. Returns 0, or -1 when the fixed L4 header is not all there. */
static __always_inline int parse_l4_ports(struct cursor *c, struct pkt *p)
{
	void *l3_end = p->l3 + p->l3_len;

	if (p->key.proto == IPPROTO_TCP) {
		struct tcphdr *th = c->pos;

		if ((void *)(th + 1) > c->end || (void *)(th + 1) > l3_end)
			return -1;
		p->key.sport = th->source;
		p->key.dport = th->dest;
		p->tcp_flags = ((__u8 *)th)[13];
	} else {
		struct udphdr *uh = c->pos;

		if ((void *)(uh + 1) > c->end || (void *)(uh + 1) > l3_end)
			return -1;
		p->key.sport = uh->source;
		p->key.dport = uh->dest;
	}
	p->l4 = c->pos;
	return 0;
}

/* Full consistency of the L4 header of a packet that matched a service. */
static __always_inline int l4_header_ok(struct pkt *p, void *end)
{
	void *l3_end = p->l3 + p->l3_len;

	if (p->key.proto == IPPROTO_TCP) {
		struct tcphdr *th = p->l4;
		__u32 doff;

		if ((void *)(th + 1) > end)
			return 0;
		doff = th->doff * 4;
		return doff >= sizeof(*th) && p->l4 + doff <= l3_end;
	} else {
		struct udphdr *uh = p->l4;
		__u32 ulen;

		if ((void *)(uh + 1) > end)
			return 0;
		ulen = bpf_ntohs(uh->len);
		/* IPv6 jumbograms (len 0) never reach an XDP frame. */
		return ulen >= sizeof(*uh) && p->l4 + ulen <= l3_end;
	}
}

#endif /* LB_PARSE_H */
