/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fwd.h — hands a scheduled packet to its forwarding method, and the two hooks the
 * entry point calls before the service lookup (lb.bpf.c):
 *   fwd_reply_hook()  a NAT/FULLNAT reply of a tracked connection (fwd_nat.h);
 *   fwd_icmp_hook()   an ICMP/ICMPv6 error about a tracked connection.
 * One header per method: fwd_dr.h (-g), fwd_tun.h (-i), fwd_nat.h (-m),
 * fwd_fullnat.h (--fullnat); icmp.h writes and rewrites ICMP.
 *
 * ICMP errors. The packet an error quotes is looked up twice:
 *  A. as a reverse entry (it is what a real server received: CIP|LIP:port →
 *     RIP:rport; the error comes from the real or a router behind it): the outer
 *     source becomes the VIP, the destination the client (FULLNAT: LIP → CIP), the
 *     quoted packet VIP:vport ← CIP:cport again; TTL - 1; sent towards the client.
 *  B. as a client-side entry, source and destination swapped (it is a reply
 *     VIP:vport → CIP:cport that a router or the client could not deliver): sent to
 *     the connection's real the way its packets go — DR: new MACs; TUN:
 *     encapsulated; NAT: outer destination and quoted source become RIP:rport;
 *     FULLNAT: also outer source LIP and quoted destination LIP:lport.
 * Anything else (echo, errors about other traffic) goes to the kernel as before.
 */
#ifndef LB_FWD_H
#define LB_FWD_H

#include "lb_shared.h"
#include "maps.h"
#include "parse.h"
#include "fwd_dr.h"
#include "fwd_nat.h"
#include "fwd_fullnat.h"
#include "fwd_tun.h"
#include "icmp.h"

/* Finishes what a forwarding subprogram asked for (LB_V_*), else returns v. */
static __always_inline int fwd_finish(struct xdp_md *ctx, int v)
{
	struct fwd_scratch *sc;

	if (v != LB_V_TOO_BIG)
		return v;
	sc = scratch();
	if (!sc)
		return drop(LB_STAT_DROP_TOO_BIG);
	return icmp_answer(ctx, ICMP_ANS_TOO_BIG, sc->mtu);
}

static __always_inline int forward(struct xdp_md *ctx, struct pkt *p, __u32 real_id,
				   struct lb_real *r, __u64 now)
{
	if (p->key.family == LB_AF_INET && ((struct iphdr *)p->l3)->ihl > 5)
		lb_count(LB_STAT_IPV4_OPTIONS);
	switch (r->fwd) {
	case LB_FWD_DR:
		return fwd_dr(ctx, real_id, r, p->l3_len, now);
	case LB_FWD_TUN:
		return fwd_finish(ctx, fwd_tun(ctx, p, real_id, r, now));
	case LB_FWD_NAT:
		return fwd_finish(ctx, fwd_nat(ctx, p, real_id, r, now));
	case LB_FWD_FULLNAT:
		return fwd_finish(ctx, fwd_fullnat(ctx, p, real_id, r, now));
	default:
		return drop(LB_STAT_DROP_UNSUPPORTED);
	}
}

/* A NAT/FULLNAT reply: verdict, or -1 to go on (packet untouched, pointers valid).
 * Call with the ports parsed. */
static __always_inline int fwd_reply_hook(struct xdp_md *ctx, struct pkt *p)
{
	struct lb_conn *rc, *cc;
	struct fwd_scratch *sc;
	struct reply_slot *s;

	if (__builtin_expect(!nat_replies_on(), 1))
		return -1;
	s = reply_cached(p);
	if (s) {
		int v = nat_reply_cached(ctx, p, s);

		if (v >= 0)
			return v;
	}
	sc = scratch();
	if (!sc || !nat_reply_match(p, &sc->k2, &rc, &cc))
		return -1;
	return fwd_finish(ctx, nat_reply(ctx, p, rc, cc));
}

/* Case A: the real side's error, back to the client. */
static __always_inline int icmp_to_client(struct xdp_md *ctx, struct pkt *p, struct fwd_scratch *sc,
					  struct lb_conn *rc)
{
	struct lb_conn_key *ck = &sc->k1;
	struct icmp_err *e = &sc->e;
	struct icmp_nat *n = &sc->n;
	struct lb_conn *cc;
	__u32 stat = 0;
	__u64 now = bpf_ktime_get_coarse_ns();
	void *end = (void *)(long)ctx->data_end;

	peer_key(ck, rc, e->key.proto, e->key.family);
	cc = bpf_map_lookup_elem(&lb_conns, ck);
	if (!cc || (cc->flags & LB_CONN_F_REVERSE) || !(cc->flags & LB_CONN_F_PAIRED) ||
	    !key_eq(&e->key, cc->peer_saddr, cc->peer_daddr, cc->peer_sport, cc->peer_dport))
		return -1;
	if (p->key.family == LB_AF_INET) {
		struct iphdr *iph = p->l3;

		if ((void *)(iph + 1) > end)
			return -1;
		if (iph->ttl <= 1)
			return pass(LB_STAT_PASS_REPLY_TTL);
	} else {
		struct ipv6hdr *ip6 = p->l3;

		if ((void *)(ip6 + 1) > end)
			return -1;
		if (ip6->hop_limit <= 1)
			return pass(LB_STAT_PASS_REPLY_TTL);
	}
	/* outer: from the VIP, to the client (NAT: already; FULLNAT: LIP → CIP);
	 * quoted: CIP:cport → VIP:vport, as the client sent it */
	__builtin_memcpy(n->osrc, ck->daddr, 16);
	__builtin_memcpy(n->odst, rc->fwd == LB_FWD_FULLNAT ? ck->saddr : p->key.daddr, 16);
	__builtin_memcpy(n->isrc, ck->saddr, 16);
	__builtin_memcpy(n->idst, ck->daddr, 16);
	n->isport = ck->sport;
	n->idport = ck->dport;
	n->dec_ttl = 1;
	if (fib_addr(ctx, ck->saddr, p->key.family, now, &sc->nh, &stat) < 0)
		return drop(stat);
	if (icmp_rewrite(ctx, p, e, n) < 0)
		return -1;
	rc->last_seen_ns = now;
	lb_count(LB_STAT_ICMP_FWD);
	/* IPVS counts it as the connection's outgoing traffic (ip_vs_out_icmp) */
	count_out(rc->svc_id, &lb_svc_stats, p->l3_len);
	count_out(rc->real_id, &lb_real_stats, p->l3_len);
	return xmit_to(ctx, sc->nh.ifindex, sc->nh.dmac, sc->nh.smac);
}

/* Case B: an error about a reply, to the connection's real. DR and TUN send the
 * packet as it is (LB_V_VIA_REAL: the entry point does it). */
static __always_inline int icmp_to_real(struct xdp_md *ctx, struct pkt *p, struct fwd_scratch *sc,
					struct lb_conn *cc)
{
	__u32 real_id = cc->real_id, stat = 0;
	struct lb_real *r = conn_real_alive(cc);
	struct icmp_nat *n = &sc->n;
	struct lb_nexthop *nh;
	__u64 now = bpf_ktime_get_coarse_ns();

	if (!r)
		return -1;
	if (cc->fwd == LB_FWD_DR || cc->fwd == LB_FWD_TUN) {
		sc->real_id = real_id;
		return LB_V_VIA_REAL;
	}
	if ((cc->fwd != LB_FWD_NAT && cc->fwd != LB_FWD_FULLNAT) || !(cc->flags & LB_CONN_F_PAIRED))
		return -1;
	nh = nexthop_get(ctx, real_id, r, 0, now, &stat);
	if (!nh)
		return drop(stat);
	/* quoted: RIP:rport → CIP:cport (FULLNAT: → LIP:lport), as the real sent it;
	 * outer: to RIP (FULLNAT: from LIP) */
	__builtin_memcpy(n->odst, r->addr, 16);
	__builtin_memcpy(n->isrc, r->addr, 16);
	n->isport = r->port;
	n->dec_ttl = 0;
	if (cc->fwd == LB_FWD_FULLNAT) {
		__builtin_memcpy(n->osrc, cc->peer_saddr, 16);
		__builtin_memcpy(n->idst, cc->peer_saddr, 16);
		n->idport = cc->peer_sport;
	} else {
		__builtin_memcpy(n->osrc, p->key.saddr, 16);
		__builtin_memcpy(n->idst, sc->e.key.daddr, 16);
		n->idport = sc->e.key.dport;
	}
	if (icmp_rewrite(ctx, p, &sc->e, n) < 0)
		return drop(LB_STAT_DROP_MALFORMED);
	lb_count(LB_STAT_ICMP_FWD);
	/* IPVS counts it as the connection's incoming traffic (ip_vs_in_icmp) */
	count_in(cc->svc_id, &lb_svc_stats, p->l3_len, 0);
	count_in(real_id, &lb_real_stats, p->l3_len, 0);
	return xmit_to(ctx, nh->ifindex, nh->dmac, nh->smac);
}

/* An ICMP/ICMPv6 error about a tracked connection: verdict, LB_V_VIA_REAL, or -1. */
static __noinline int icmp_error_in(struct xdp_md *ctx, struct pkt *p, void *l4)
{
	struct fwd_scratch *sc = scratch();
	struct lb_conn_key *sk;
	struct lb_conn *ce;

	if (!sc)
		return -1;
	__builtin_memset(&sc->e, 0, sizeof(sc->e));
	if (icmp_parse_error(ctx, p, l4, &sc->e) < 0)
		return -1;
	ce = bpf_map_lookup_elem(&lb_conns, &sc->e.key);
	if (ce && (ce->flags & LB_CONN_F_REVERSE))
		return icmp_to_client(ctx, p, sc, ce);
	sk = &sc->k2;
	__builtin_memset(sk, 0, sizeof(*sk));
	__builtin_memcpy(sk->saddr, sc->e.key.daddr, 16);
	__builtin_memcpy(sk->daddr, sc->e.key.saddr, 16);
	sk->sport = sc->e.key.dport;
	sk->dport = sc->e.key.sport;
	sk->proto = sc->e.key.proto;
	sk->family = sc->e.key.family;
	ce = bpf_map_lookup_elem(&lb_conns, sk);
	if (ce && !(ce->flags & (LB_CONN_F_REVERSE | LB_CONN_F_TEMPLATE)))
		return icmp_to_real(ctx, p, sc, ce);
	return -1;
}

/*
 * An ICMP/ICMPv6 packet (c at its header). Returns a verdict, or -1 when it
 * concerns no tracked connection (the caller passes it to the kernel).
 */
static __always_inline int fwd_icmp_hook(struct xdp_md *ctx, struct pkt *p, struct cursor *c)
{
	struct fwd_scratch *sc;
	struct lb_real *r;
	__u32 rid;
	int v = icmp_error_in(ctx, p, c->pos);

	if (v != LB_V_VIA_REAL)
		return v;
	sc = scratch();
	if (!sc)
		return -1;
	rid = sc->real_id;
	r = bpf_map_lookup_elem(&lb_reals, &rid);
	if (!r)
		return -1;
	if (r->fwd == LB_FWD_TUN)
		v = fwd_finish(ctx, fwd_tun(ctx, p, rid, r, bpf_ktime_get_coarse_ns()));
	else
		v = fwd_dr(ctx, rid, r, 0, bpf_ktime_get_coarse_ns());
	/* ICMP_FWD is an event on top of the verdict: only for errors that did leave. IPVS
	 * counts them as the connection's incoming traffic (ip_vs_in_icmp). */
	if (v == XDP_TX || v == XDP_REDIRECT) {
		lb_count(LB_STAT_ICMP_FWD);
		count_in(r->svc_id, &lb_svc_stats, p->l3_len, 0);
		count_in(rid, &lb_real_stats, p->l3_len, 0);
	}
	return v;
}

#endif /* LB_FWD_H */
