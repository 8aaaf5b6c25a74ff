/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fwd_fullnat.h — FULLNAT (lvs-xdp --fullnat; -b in the Alibaba/DPVS ipvsadm forks):
 * DNAT VIP:vport → RIP:rport and SNAT CIP:cport → LIP:lport, so a real server
 * answers LIP and needs no route through the director and no VIP.
 *
 * Local ports. A new connection draws (LIP, lport) candidates: the LIP from the
 * service's pool (lb_laddrs, -P … -z LIP) starting at a random index and moving on
 * by one per try, the lport uniformly from [LB_LPORT_MIN, 65535]. A candidate is
 * claimed by inserting the reverse entry LIP:lport → RIP:rport with BPF_NOEXIST: the
 * insert fails exactly when that tuple belongs to a live connection (or one not yet
 * expired), so two connections never share it, also when two CPUs race. A failed
 * candidate is counted (LB_STAT_LPORT_CONFLICT and the LIP's CONFLICTS) and the next
 * one tried, at most LB_LPORT_TRIES; then the packet is dropped (LB_STAT_DROP_NO_LPORT).
 * The port is released when the connection ends: the expiry removes the reverse
 * entry with its partner (PAIRED), and the tuple is free again. One LIP serves
 * 64,512 concurrent connections per RIP:rport; more LIPs multiply that.
 *
 * LIPs must be addresses of the director (the real servers send their replies to
 * them) that no local program uses for connections to the real servers' ports.
 */
#ifndef LB_FWD_FULLNAT_H
#define LB_FWD_FULLNAT_H

#include "fwd_nat.h"

/* Claims a local (LIP, lport) for the connection of client-side entry c; pairs c.
 * Returns 0, or a negative lb_stat (negated). */
static __always_inline int fullnat_pair(struct lb_conn *c, struct pkt *p, struct lb_real *r)
{
	struct lb_laddr_set *set;
	struct lb_conn_key rk = {};
	struct lb_conn rev;
	__u32 count, start;

	set = bpf_map_lookup_elem(&lb_laddrs, &c->svc_id);
	if (!set)
		return -LB_STAT_DROP_NO_LADDR;
	count = set->count;
	if (count == 0 || count > LB_MAX_LADDRS)
		return -LB_STAT_DROP_NO_LADDR;
	__builtin_memcpy(rk.daddr, r->addr, 16);
	rk.dport = r->port;
	rk.proto = p->key.proto;
	rk.family = p->key.family;
	reverse_entry(&rev, c, &p->key);
	start = bpf_get_prandom_u32();
	for (int i = 0; i < LB_LPORT_TRIES; i++) {
		__u32 idx = (start + i) % count;
		__u32 port = LB_LPORT_MIN + bpf_get_prandom_u32() % (65536 - LB_LPORT_MIN);
		__u32 sidx = c->svc_id * LB_MAX_LADDRS + (idx & (LB_MAX_LADDRS - 1));
		struct lb_laddr_counters *lc = bpf_map_lookup_elem(&lb_laddr_stats, &sidx);

		if (idx >= LB_MAX_LADDRS)
			break;
		__builtin_memcpy(rk.saddr, &set->addr[(idx & (LB_MAX_LADDRS - 1)) * 4], 16);
		rk.sport = bpf_htons((__u16)port);
		if (conn_table_insert(&rk, &rev) == 0) {
			pair_with(c, &rk);
			if (lc)
				lc->conns++;
			return 0;
		}
		lb_count(LB_STAT_LPORT_CONFLICT);
		if (lc)
			lc->conflicts++;
	}
	return -LB_STAT_DROP_NO_LPORT;
}

/* Sends the client's packet to RIP:rport from LIP:lport. */
static __noinline int fwd_fullnat(struct xdp_md *ctx, struct pkt *p, __u32 real_id, struct lb_real *r,
				       __u64 now)
{
	void *end = (void *)(long)ctx->data_end;
	/* the entry point's entry on a conntrack hit: one lb_conns lookup fewer */
	struct lb_conn *c = p->conn ? p->conn : bpf_map_lookup_elem(&lb_conns, &p->key);
	struct lb_nexthop *nh;
	__u32 stat = 0, mtu;
	__be32 lip[4];
	__be16 lport;

	if (!c)
		return drop(LB_STAT_DROP_NO_REAL);
	if (!(c->flags & LB_CONN_F_PAIRED)) {
		int rc = fullnat_pair(c, p, r);

		if (rc < 0)
			return drop((__u32)-rc);
	}
	__builtin_memcpy(lip, c->peer_saddr, 16);
	lport = c->peer_sport;
	nh = nexthop_get(ctx, real_id, r, 0, now, &stat);
	if (!nh)
		return drop(stat);
	if (cached_mtu_exceeded(ctx, nh->ifindex, nh->mtu, p->l3_len, 0, &mtu))
		return too_big(ctx, p, mtu);
	if (nat_rewrite(p, end, lip, lport, r->addr, r->port, 0) < 0)
		return drop(LB_STAT_DROP_MALFORMED);
	return xmit_to(ctx, nh->ifindex, nh->dmac, nh->smac);
}

#endif /* LB_FWD_FULLNAT_H */
