/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fwd_nat.h — masquerading (ipvsadm -m), both directions, and the helpers the
 * other rewriting paths (FULLNAT, ICMP) share.
 *
 * Client → real: DNAT VIP:vport → RIP:rport (port mapping: -r RIP:8080 behind
 * VIP:80). The TTL is kept, as IPVS's ip_vs_nat_xmit keeps it (the director
 * receives the packet for its own VIP; nothing is routed).
 *
 * The pair of entries. The client-side entry (key CIP:cport → VIP:vport) gets
 * LB_CONN_F_PAIRED and, in peer_*, the key of the reverse entry; the reverse entry
 * (LB_CONN_F_REVERSE|PAIRED) is keyed by the tuple the real server sees,
 * CIP:cport → RIP:rport (FULLNAT: LIP:lport → RIP:rport), and holds the client-side
 * key in peer_*. A reply RIP:rport → CIP:cport is that tuple reversed: nat_reply()
 * swaps its source and destination and looks it up (before the service lookup, so
 * a reply is never taken for a new connection), checks that the pair still points
 * both ways, rewrites the source to VIP:vport (FULLNAT: and the destination to
 * CIP:cport), takes one off the TTL / hop limit (the reply is routed, as the
 * kernel's ip_forward does) and sends it towards the client. TCP state moves by
 * IPVS's OUTPUT table on the client-side entry (conn_reply_state, conntrack.h).
 *
 * Checksums are updated incrementally (csum.h): IPv4 header; TCP/UDP for the
 * addresses of the pseudo-header and the ports. UDP over IPv4 without checksum
 * (0) stays without.
 */
#ifndef LB_FWD_NAT_H
#define LB_FWD_NAT_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "lb_shared.h"
#include "maps.h"
#include "parse.h"
#include "csum.h"
#include "nexthop.h"
#include "conntrack.h"
#include "icmp.h"
#include "replycache.h"

/* ---- shared by NAT, FULLNAT, TUN and ICMP ---- */

/*
 * Per-CPU scratch space for the forwarding paths' larger temporaries: BPF-to-BPF
 * calls share one 512-byte stack along a call chain, and the entry point already
 * uses half of it. One packet at a time per CPU uses it (XDP does not nest).
 * Not pinned: nothing in it outlives a packet.
 */
struct fwd_scratch {
	struct lb_conn_key k1;
	struct lb_conn_key k2;
	struct lb_fib_entry nh;
	struct icmp_err e;
	struct icmp_nat n;
	__u32 mtu;     /* for LB_V_TOO_BIG */
	__u32 real_id; /* for LB_V_VIA_REAL */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct fwd_scratch);
} lb_fwd_scratch SEC(".maps");

static __always_inline struct fwd_scratch *scratch(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&lb_fwd_scratch, &zero);
}

/* Not XDP verdicts: what a forwarding subprogram asks the entry point to do next
 * (keeping the call chain, and so the stack, short). */
#define LB_V_TOO_BIG 64  /* answer with icmp_answer(ICMP_ANS_TOO_BIG, scratch()->mtu) */
#define LB_V_VIA_REAL 65 /* send the packet as it is to scratch()->real_id's method */

/* Server-to-client direction of IPVS's stats: OutPkts, OutBytes. */
static __always_inline void count_out(__u32 idx, void *map, __u32 len)
{
	struct lb_counters *s = bpf_map_lookup_elem(map, &idx);

	if (!s)
		return;
	s->outpkts++;
	s->outbytes += len;
}

/* Next hop towards an arbitrary address (a client), cached per CPU for
 * LB_NH_TTL_MS like the reals' (nexthop.h). Fills *nh; 0, or -1 with *stat. */
static __always_inline int fib_addr(struct xdp_md *ctx, const __be32 *dst, __u8 family, __u64 now,
				    struct lb_fib_entry *nh, __u32 *stat)
{
	struct lb_fib_key k = { .family = family };
	struct lb_fib_entry *e;
	struct bpf_fib_lookup f;
	long rc;

	__builtin_memcpy(k.addr, dst, 16);
	e = bpf_map_lookup_elem(&lb_fib_cache, &k);
	if (e && e->ifindex && nh_fresh(now, e->checked_ns)) {
		*nh = *e;
		return 0;
	}
	fib_params(&f, ctx, dst, family, 0);
	rc = bpf_fib_lookup(ctx, &f, sizeof(f), 0);
	if (rc != BPF_FIB_LKUP_RET_SUCCESS) {
		if (rc == BPF_FIB_LKUP_RET_NO_NEIGH)
			*stat = LB_STAT_DROP_NO_NEIGH;
		else if (rc == BPF_FIB_LKUP_RET_FWD_DISABLED)
			*stat = LB_STAT_DROP_FWD_DISABLED;
		else
			*stat = LB_STAT_DROP_FIB;
		if (e)
			e->ifindex = 0;
		return -1;
	}
	__builtin_memset(nh, 0, sizeof(*nh));
	nh->checked_ns = now;
	nh->ifindex = f.ifindex;
	__builtin_memcpy(nh->dmac, f.dmac, 6);
	__builtin_memcpy(nh->smac, f.smac, 6);
	device_mtu(ctx, f.ifindex, &nh->mtu);
	bpf_map_update_elem(&lb_fib_cache, &k, nh, BPF_ANY);
	return 0;
}

/* Rewrites the Ethernet addresses and sends towards ifindex (counted). */
static __always_inline int xmit_to(struct xdp_md *ctx, __u32 ifindex, const __u8 *dmac, const __u8 *smac)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;

	if ((void *)(eth + 1) > end)
		return drop(LB_STAT_DROP_MALFORMED);
	__builtin_memcpy(eth->h_dest, dmac, ETH_ALEN);
	__builtin_memcpy(eth->h_source, smac, ETH_ALEN);
	if (ifindex == ctx->ingress_ifindex) {
		lb_count(LB_STAT_TX);
		return XDP_TX;
	}
	lb_count(LB_STAT_REDIRECT);
	return bpf_redirect(ifindex, 0);
}

/* 1 when l3_len + overhead does not fit the MTU of ifindex; *mtu = that MTU. */
static __always_inline int mtu_exceeded(struct xdp_md *ctx, __u32 ifindex, __u32 l3_len, __u32 overhead,
					__u32 *mtu)
{
	__u32 m = l3_len;
	long rc = bpf_check_mtu(ctx, ifindex, &m, (__s32)overhead, 0);

	*mtu = m;
	return rc == BPF_MTU_CHK_RET_FRAG_NEEDED;
}

/* mtu_exceeded() with the MTU cached beside a next hop (lb_nexthop, lb_fib_entry,
 * nexthop.h device_mtu): the same answer, the device's MTU seen at most LB_NH_TTL_MS
 * ago. known 0 (an entry of an older build): asked now. */
static __always_inline int cached_mtu_exceeded(struct xdp_md *ctx, __u32 ifindex, __u32 known, __u32 l3_len,
					       __u32 overhead, __u32 *mtu)
{
	if (!known)
		return mtu_exceeded(ctx, ifindex, l3_len, overhead, mtu);
	*mtu = known;
	return l3_len + overhead > known;
}

/* What to do with a packet too big for the egress: ICMP back to its sender when it
 * forbids fragmenting (IPv6 always; IPv4 with DF) — LB_V_TOO_BIG asks the entry
 * point to write it — else drop (counted). */
static __always_inline int too_big(struct xdp_md *ctx, struct pkt *p, __u32 mtu)
{
	struct fwd_scratch *sc = scratch();

	if (p->key.family == LB_AF_INET) {
		struct iphdr *iph = p->l3;
		void *end = (void *)(long)ctx->data_end;

		if ((void *)(iph + 1) > end || !(iph->frag_off & bpf_htons(IP_DF_)))
			return drop(LB_STAT_DROP_TOO_BIG);
	}
	if (p->key.proto == IPPROTO_ICMP_ || p->key.proto == IPPROTO_ICMPV6_ || !sc)
		return drop(LB_STAT_DROP_TOO_BIG); /* never an ICMP error about an ICMP error */
	sc->mtu = mtu;
	return LB_V_TOO_BIG;
}

/*
 * Sets the packet's source to saddr:sport and destination to daddr:dport (any of
 * them may equal what is there), fixing the IPv4 header and TCP/UDP checksums;
 * dec_ttl takes one off the TTL / hop limit. Returns 0, or -1 if the headers are
 * not where p says.
 */
static __always_inline int nat_rewrite(struct pkt *p, void *end, const __be32 *saddr, __be16 sport,
				       const __be32 *daddr, __be16 dport, int dec_ttl)
{
	__u16 *l4c, c = 0;
	__be16 *ports = p->l4;
	int has;

	if ((void *)(ports + 2) > end)
		return -1;
	l4c = l4_csum_ptr(p->l4, p->key.proto, p->key.family, end, &has);
	if (!l4c)
		return -1;
	if (has) {
		c = *l4c;
		c = csum_replace_addr(c, p->key.saddr, saddr, p->key.family);
		c = csum_replace_addr(c, p->key.daddr, daddr, p->key.family);
		c = csum_replace2(c, ports[0], sport);
		c = csum_replace2(c, ports[1], dport);
	}
	if (p->key.family == LB_AF_INET) {
		struct iphdr *iph = p->l3;
		__u16 ic;

		if ((void *)(iph + 1) > end)
			return -1;
		ic = iph->check;
		ic = csum_replace4(ic, iph->saddr, saddr[0]);
		ic = csum_replace4(ic, iph->daddr, daddr[0]);
		iph->saddr = saddr[0];
		iph->daddr = daddr[0];
		if (dec_ttl) {
			__u16 old = *(__u16 *)&iph->ttl;

			iph->ttl--;
			ic = csum_replace2(ic, old, *(__u16 *)&iph->ttl);
		}
		iph->check = ic;
	} else {
		struct ipv6hdr *ip6 = p->l3;

		if ((void *)(ip6 + 1) > end)
			return -1;
		__builtin_memcpy(&ip6->saddr, saddr, 16);
		__builtin_memcpy(&ip6->daddr, daddr, 16);
		if (dec_ttl)
			ip6->hop_limit--;
	}
	ports[0] = sport;
	ports[1] = dport;
	if (has)
		*l4c = l4_csum_final(c, p->key.proto);
	return 0;
}

static __always_inline int key_eq(const struct lb_conn_key *a, const __be32 *saddr, const __be32 *daddr,
				  __be16 sport, __be16 dport)
{
	return addr_eq(a->saddr, saddr) && addr_eq(a->daddr, daddr) && a->sport == sport && a->dport == dport;
}

/* The key an entry's peer_* names (same protocol and family as own). */
static __always_inline void peer_key(struct lb_conn_key *out, struct lb_conn *c, __u8 proto, __u8 family)
{
	__builtin_memset(out, 0, sizeof(*out));
	__builtin_memcpy(out->saddr, c->peer_saddr, 16);
	__builtin_memcpy(out->daddr, c->peer_daddr, 16);
	out->sport = c->peer_sport;
	out->dport = c->peer_dport;
	out->proto = proto;
	out->family = family;
}

/* The reverse entry for client-side entry c (key ck) whose real sees rk. */
static __always_inline void reverse_entry(struct lb_conn *rev, struct lb_conn *c, const struct lb_conn_key *ck)
{
	__builtin_memset(rev, 0, sizeof(*rev));
	rev->last_seen_ns = c->last_seen_ns;
	rev->real_id = c->real_id;
	rev->svc_id = c->svc_id;
	rev->real_seq = c->real_seq;
	rev->state = c->state;
	rev->fwd = c->fwd;
	rev->flags = LB_CONN_F_REVERSE | LB_CONN_F_PAIRED;
	__builtin_memcpy(rev->peer_saddr, ck->saddr, 16);
	__builtin_memcpy(rev->peer_daddr, ck->daddr, 16);
	rev->peer_sport = ck->sport;
	rev->peer_dport = ck->dport;
}

/* Records rk as c's partner. */
static __always_inline void pair_with(struct lb_conn *c, const struct lb_conn_key *rk)
{
	__builtin_memcpy(c->peer_saddr, rk->saddr, 16);
	__builtin_memcpy(c->peer_daddr, rk->daddr, 16);
	c->peer_sport = rk->sport;
	c->peer_dport = rk->dport;
	c->flags |= LB_CONN_F_PAIRED;
}

/* ---- NAT ---- */

/* Creates the reverse entry of a NAT connection. A reverse entry of an older
 * connection with the same tuple is replaced; an entry of another kind at that key
 * (RIP:rport is itself a virtual service) is left alone and the replies are not
 * translated (counted as a conflict). */
static __always_inline void nat_pair(struct lb_conn *c, struct pkt *p, struct lb_real *r)
{
	struct lb_conn_key rk = {};
	struct lb_conn rev, *old;

	__builtin_memcpy(rk.saddr, p->key.saddr, 16);
	__builtin_memcpy(rk.daddr, r->addr, 16);
	rk.sport = p->key.sport;
	rk.dport = r->port;
	rk.proto = p->key.proto;
	rk.family = p->key.family;
	reverse_entry(&rev, c, &p->key);
	if (conn_table_insert(&rk, &rev) != 0) {
		old = bpf_map_lookup_elem(&lb_conns, &rk);
		if (!old || !(old->flags & LB_CONN_F_REVERSE) ||
		    bpf_map_update_elem(&lb_conns, &rk, &rev, BPF_EXIST) != 0) {
			lb_count(LB_STAT_LPORT_CONFLICT);
			return;
		}
	}
	pair_with(c, &rk);
}

/* Whether this packet's client-side entry exists and is paired (pairing it when new).
 * The entry point's p->paired / p->conn spare the lookup on a conntrack hit. */
static __always_inline int nat_conn(struct pkt *p, __u32 real_id, struct lb_real *r)
{
	struct lb_conn *c;

	if (p->paired)
		return 1;
	c = p->conn ? p->conn : bpf_map_lookup_elem(&lb_conns, &p->key);
	if (!c)
		return 0;
	if (!(c->flags & LB_CONN_F_PAIRED))
		nat_pair(c, p, r);
	return 1;
}

/* Sends the client's packet to RIP:rport. */
static __noinline int fwd_nat(struct xdp_md *ctx, struct pkt *p, __u32 real_id, struct lb_real *r,
				   __u64 now)
{
	void *end = (void *)(long)ctx->data_end;
	struct lb_nexthop *nh;
	__u32 stat = 0, mtu;

	if (!nat_conn(p, real_id, r))
		return drop(LB_STAT_DROP_NO_REAL);
	nh = nexthop_get(ctx, real_id, r, 0, now, &stat);
	if (!nh)
		return drop(stat);
	if (cached_mtu_exceeded(ctx, nh->ifindex, nh->mtu, p->l3_len, 0, &mtu))
		return too_big(ctx, p, mtu);
	if (nat_rewrite(p, end, p->key.saddr, p->key.sport, r->addr, r->port, 0) < 0)
		return drop(LB_STAT_DROP_MALFORMED);
	return xmit_to(ctx, nh->ifindex, nh->dmac, nh->smac);
}

/* Whether replies are looked for at all: the control plane sets the switch when a
 * NAT or FULLNAT real is added, so a DR/TUN-only director pays one array load. */
static __always_inline int nat_replies_on(void)
{
	struct lb_fwd_conf *conf;
	__u32 zero = 0;

	conf = bpf_map_lookup_elem(&lb_fwd_conf, &zero);
	return conf && (conf->flags & LB_FWD_CONF_REPLIES);
}

/*
 * Whether the packet is a NAT/FULLNAT reply (real → client) of a live pair: 1 with
 * the reverse entry in *rcp and the client-side entry in *ccp, or 0 (the caller goes
 * on with the service lookup). Changes no packet byte, so the caller's packet
 * pointers stay valid. rk is scratch space for the reverse key. Call only when
 * nat_replies_on().
 */
static __always_inline int nat_reply_match(struct pkt *p, struct lb_conn_key *rk, struct lb_conn **rcp,
					   struct lb_conn **ccp)
{
	struct fwd_scratch *sc = scratch();
	struct lb_conn_key *ck;
	struct lb_conn *rc, *cc;

	if (!sc)
		return 0;
	ck = &sc->k1;
	__builtin_memset(rk, 0, sizeof(*rk));
	__builtin_memcpy(rk->saddr, p->key.daddr, 16);
	__builtin_memcpy(rk->daddr, p->key.saddr, 16);
	rk->sport = p->key.dport;
	rk->dport = p->key.sport;
	rk->proto = p->key.proto;
	rk->family = p->key.family;
	rc = bpf_map_lookup_elem(&lb_conns, rk);
	if (!rc || !(rc->flags & LB_CONN_F_REVERSE))
		return 0;
	peer_key(ck, rc, rk->proto, rk->family);
	cc = bpf_map_lookup_elem(&lb_conns, ck);
	if (!cc || (cc->flags & (LB_CONN_F_REVERSE | LB_CONN_F_TEMPLATE)) || !(cc->flags & LB_CONN_F_PAIRED) ||
	    !key_eq(rk, cc->peer_saddr, cc->peer_daddr, cc->peer_sport, cc->peer_dport)) {
		/* Its connection is gone (or was replaced): the reply is not ours. */
		conn_delete(rk);
		lb_count(LB_STAT_REPLY_STALE);
		return 0;
	}
	*rcp = rc;
	*ccp = cc;
	return 1;
}

/* A reply's own checks, before anything is changed: -1 when it may be translated,
 * else the verdict (counted). */
static __always_inline int reply_checks(struct xdp_md *ctx, struct pkt *p, void *end)
{
	if (!l4_header_ok(p, end))
		return drop(LB_STAT_DROP_MALFORMED);
	if (p->key.family == LB_AF_INET) {
		struct iphdr *iph = p->l3;

		if (!ipv4_csum_ok(ctx, iph, end))
			return drop(LB_STAT_DROP_MALFORMED);
		if ((void *)(iph + 1) > end)
			return drop(LB_STAT_DROP_MALFORMED);
		if (iph->ttl <= 1)
			return pass(LB_STAT_PASS_REPLY_TTL);
	} else {
		struct ipv6hdr *ip6 = p->l3;

		if ((void *)(ip6 + 1) > end)
			return drop(LB_STAT_DROP_MALFORMED);
		if (ip6->hop_limit <= 1)
			return pass(LB_STAT_PASS_REPLY_TTL);
	}
	return -1;
}

/* The service's and real's OutPkts/OutBytes and the global reply counter. */
static __always_inline void count_reply(struct pkt *p, __u32 svc_id, __u32 real_id)
{
	count_out(svc_id, &lb_svc_stats, p->l3_len);
	count_out(real_id, &lb_real_stats, p->l3_len);
	lb_count(LB_STAT_REPLY_NAT);
}

/* Translates and sends a reply nat_reply_match() found: its reverse entry rc and
 * client-side entry cc (the entries it looked up, not looked up again), the latter's
 * key still in scratch()->k1 where the match built it. Returns the XDP verdict. */
static __noinline int nat_reply(struct xdp_md *ctx, struct pkt *p, struct lb_conn *rc, struct lb_conn *cc)
{
	void *end = (void *)(long)ctx->data_end;
	struct fwd_scratch *sc = scratch();
	struct lb_conn_key *ck;
	__u32 stat = 0, mtu;
	__u8 state_before;
	__be32 *dst;
	__be16 dport;
	__u64 now;
	int v;

	if (!sc)
		return drop(LB_STAT_DROP_FIB);
	ck = &sc->k1;
	v = reply_checks(ctx, p, end);
	if (v >= 0)
		return v;
	now = bpf_ktime_get_coarse_ns();
	state_before = cc->state;
	conn_reply_state(cc, p->tcp_flags, p->key.proto, now);
	rc->last_seen_ns = now;

	/* NAT: the client is the destination already; FULLNAT: it is behind LIP:lport */
	if (rc->fwd == LB_FWD_FULLNAT) {
		dst = ck->saddr;
		dport = ck->sport;
	} else {
		dst = p->key.daddr;
		dport = p->key.dport;
	}
	if (fib_addr(ctx, dst, p->key.family, now, &sc->nh, &stat) < 0)
		return drop(stat);
	if (cached_mtu_exceeded(ctx, sc->nh.ifindex, sc->nh.mtu, p->l3_len, 0, &mtu)) {
		if (rc->fwd == LB_FWD_FULLNAT)
			return too_big(ctx, p, mtu); /* from LIP, ours */
		/* NAT: the kernel forwards nothing it cannot fit; it answers the real. */
		if (p->key.family == LB_AF_INET6 ||
		    (((struct iphdr *)p->l3)->frag_off & bpf_htons(IP_DF_)))
			return pass(LB_STAT_PASS_TOO_BIG);
		return drop(LB_STAT_DROP_TOO_BIG);
	}
	if (nat_rewrite(p, end, ck->daddr, ck->dport, dst, dport, 1) < 0)
		return drop(LB_STAT_DROP_MALFORMED);
	if (cc->state == state_before)
		reply_fill(p, rc->svc_id, rc->real_id, ck->daddr, ck->dport, dst, dport, &sc->nh);
	count_reply(p, rc->svc_id, rc->real_id);
	return xmit_to(ctx, sc->nh.ifindex, sc->nh.dmac, sc->nh.smac);
}

/* A reply answered from this CPU's reply cache (replycache.h): what nat_reply() did
 * with the flow's last reply, without its lookups. -1: not answered here (larger
 * than the cached MTU: nat_reply() checks it and decides; tested first, so that its
 * checks do not run twice). */
static __always_inline int nat_reply_cached(struct xdp_md *ctx, struct pkt *p, const struct reply_slot *s)
{
	void *end = (void *)(long)ctx->data_end;
	int v;

	if (p->l3_len > s->mtu)
		return -1;
	v = reply_checks(ctx, p, end);
	if (v >= 0)
		return v;
	if (nat_rewrite(p, end, s->saddr, s->sport, s->daddr, s->dport, 1) < 0)
		return drop(LB_STAT_DROP_MALFORMED);
	count_reply(p, s->svc_id, s->real_id);
	return xmit_to(ctx, s->ifindex, s->dmac, s->smac);
}

#endif /* LB_FWD_NAT_H */
