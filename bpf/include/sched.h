/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sched.h — choosing a destination for a new connection: the 14 IPVS schedulers.
 *
 * Table schedulers (rr, wrr, sh, dh, mh) have their table computed by the control
 * plane (src/sched/) and written into lb_slots as two generations; the service
 * entry names the live one, so a change is written beside the running table and
 * then switched in with one map update. rr/wrr walk their table with a shared
 * cursor; sh, dh and mh index it with the kernel's hash of the packet
 * (sched_hash.h).
 *
 * Connection schedulers (lc, wlc, sed, nq, fo, ovf, twos, lblc, lblcr) decide here
 * from the per-real counters (lb_real_conns, kept by conntrack) with a bounded loop
 * over the service's destination list (lb_svc_dests, LB_MAX_SVC_DESTS entries, in
 * IPVS list order), see sched_conn.h and sched_lblc.h.
 *
 * Thresholds (-x/-y): IPVS sets IP_VS_DEST_F_OVERLOAD in ip_vs_bind_dest() when
 * activeconns + inactconns >= u_threshold, and clears it in ip_vs_unbind_dest() when
 * the total falls below l_threshold (or below 3/4 of u_threshold when l_threshold is
 * 0); __ip_vs_update_dest() clears it when u_threshold is removed or raised. We keep
 * the same flag with the same hysteresis in lb_real_load: set at the choice
 * (real_bind, the bind), and re-evaluated whenever a scheduler looks at the
 * destination (the clearing of unbind, done lazily: counts only grow through a
 * choice, which looks first, so every scheduling decision sees IPVS's flag).
 *
 * No destination available: the caller answers with an ICMP port unreachable and
 * drops the packet, as IPVS's ip_vs_leave() does (icmp_unreach.h; past the ICMP rate
 * limits it only drops it and counts LB_STAT_DROP_NO_REAL).
 */
#ifndef LB_SCHED_H
#define LB_SCHED_H

#include "lb_shared.h"
#include "maps.h"
#include "parse.h"

/* IP_VS_DEST_F_OVERLOAD of a destination, updated from its current counts. */
static __always_inline int real_overloaded(__u32 real_id, struct lb_real *r)
{
	struct lb_real_conns *c;
	struct lb_real_load *st;
	__u32 u = r->u_threshold, l = r->l_threshold;
	__s64 total = 0;

	if (u == 0)
		return 0; /* no upper threshold: never overloaded */
	st = bpf_map_lookup_elem(&lb_real_load, &real_id);
	if (!st)
		return 0;
	if (st->seq != r->seq) {
		st->seq = r->seq;
		st->overload = 0;
		st->u_threshold = u;
		st->l_threshold = l;
	} else if (st->u_threshold != u || st->l_threshold != l) {
		if (u > st->u_threshold) /* __ip_vs_update_dest: raised -> cleared */
			st->overload = 0;
		st->u_threshold = u;
		st->l_threshold = l;
	}
	c = bpf_map_lookup_elem(&lb_real_conns, &real_id);
	if (c)
		total = c->active + c->inactive; /* ip_vs_dest_totalconns() */
	if (total >= (__s64)u)
		st->overload = 1;
	else if (st->overload && (l ? total < (__s64)l : total * 4 < (__s64)u * 3))
		st->overload = 0;
	return st->overload;
}

/*
 * ip_vs_bind_dest(): the connection about to be counted on this destination
 * (conntrack adds it right after scheduling) sets the flag when it brings the
 * total to u_threshold. Done here, at the choice, so that a destination no
 * scheduler looks at again before a connection ends still carries the flag.
 */
static __always_inline void real_bind(__u32 real_id, struct lb_real *r)
{
	struct lb_real_conns *c;
	struct lb_real_load *st;
	__s64 total = 0;

	if (r->u_threshold == 0)
		return;
	real_overloaded(real_id, r); /* brings the state up to date with r */
	st = bpf_map_lookup_elem(&lb_real_load, &real_id);
	c = bpf_map_lookup_elem(&lb_real_conns, &real_id);
	if (c)
		total = c->active + c->inactive;
	if (st && total + 1 >= (__s64)r->u_threshold)
		st->overload = 1;
}

/* A live destination of this service (IP_VS_DEST_F_AVAILABLE), or 0. */
static __always_inline struct lb_real *real_of_svc(__u32 real_id, __u32 svc_id)
{
	struct lb_real *r = bpf_map_lookup_elem(&lb_reals, &real_id);

	if (!r || !(r->flags & LB_REAL_F_USED) || r->svc_id != svc_id)
		return 0;
	return r;
}

/* A destination the scheduler may give new connections to: weight > 0, not overloaded. */
static __always_inline struct lb_real *real_available(__u32 real_id, __u32 svc_id)
{
	struct lb_real *r = real_of_svc(real_id, svc_id);

	if (!r || r->weight == 0 || real_overloaded(real_id, r))
		return 0;
	return r;
}

/* ip_vs_dest_conn_overhead(): active connections weigh 256 inactive ones. */
static __always_inline __s64 conn_overhead(__u32 real_id)
{
	struct lb_real_conns *c = bpf_map_lookup_elem(&lb_real_conns, &real_id);

	return c ? (c->active << 8) + c->inactive : 0;
}

static __always_inline __s64 conn_active(__u32 real_id)
{
	struct lb_real_conns *c = bpf_map_lookup_elem(&lb_real_conns, &real_id);

	return c ? c->active : 0;
}

/*
 * What a scheduler sees of the packet and its service. The schedulers are BPF
 * global functions (verified once each, whatever the caller's state), so they
 * take this plain copy instead of the map value.
 */
struct sched_in {
	__be32 saddr[4];
	__be32 daddr[4];
	__be16 sport;
	__u8 family;
	__u8 sched;
	__u32 svc_id;
	__u32 flags;
	__u32 table_len;
	__u32 gen;
	__u32 pad;
	__u64 now;
};

static __always_inline __u32 dests_key(struct sched_in *in)
{
	return in->svc_id * 2 + (in->gen & 1);
}

/* Destination id in slot idx of the live table, or -1. */
static __always_inline __s64 slot_real(__u32 svc_id, __u8 gen, __u32 idx)
{
	struct lb_slot_key k = { .svc_id = svc_id, .slot = ((__u32)(gen & 1) << 31) | idx };
	__u32 *rid = bpf_map_lookup_elem(&lb_slots, &k);

	return rid ? *rid : -1;
}

/* Tries a few consecutive slots, in case the control plane is mid-change and a
 * slot names a destination that was just quiesced. Returns the id or -1. */
#define SCHED_TABLE_TRIES 4

static __always_inline int sched_table(struct sched_in *in)
{
	struct lb_svc_state *st;
	__u32 len = in->table_len;
	__u32 svc_id = in->svc_id;
	__u64 pos;

	if (len == 0 || len > LB_MAX_TABLE)
		return -1;
	st = bpf_map_lookup_elem(&lb_svc_state, &svc_id);
	if (!st)
		return -1;
	pos = __sync_fetch_and_add(&st->cursor, 1);
	for (int i = 0; i < SCHED_TABLE_TRIES; i++) {
		__s64 rid = slot_real(svc_id, in->gen, (__u32)((pos + i) % len));

		if (rid >= 0 && real_available((__u32)rid, svc_id))
			return rid;
	}
	return -1;
}

#include "sched_hash.h"
#include "sched_conn.h"
#include "sched_lblc.h"

/* The scheduler of the service, as one global function. Returns the id or -1. */
__attribute__((noinline)) int sched_run(struct sched_in *in)
{
	if (!in)
		return -1;
	switch (in->sched) {
	case LB_SCHED_RR:
	case LB_SCHED_WRR:
		return sched_table(in);
	case LB_SCHED_SH:
		return sched_sh(in);
	case LB_SCHED_DH:
		return sched_dh(in);
	case LB_SCHED_MH:
		return sched_mh(in);
	case LB_SCHED_LBLC:
		return sched_lblc(in);
	case LB_SCHED_LBLCR:
		return sched_lblcr(in);
	case LB_SCHED_LC:
	case LB_SCHED_WLC:
	case LB_SCHED_SED:
	case LB_SCHED_NQ:
	case LB_SCHED_FO:
	case LB_SCHED_OVF:
	case LB_SCHED_TWOS:
		return sched_conn(in, in->sched);
	default:
		return -1;
	}
}

/* The destination for a new connection of p, or -1 (no destination available). */
static __always_inline __s64 sched_pick(struct pkt *p, struct lb_svc *svc, __u64 now,
					struct lb_real **out)
{
	struct sched_in in = {
		.sport = p->key.sport,
		.family = p->key.family,
		.sched = svc->sched,
		.svc_id = svc->id,
		.flags = svc->flags,
		.table_len = svc->table_len,
		.gen = svc->gen & 1,
		.now = now,
	};
	struct lb_real *r;
	__u32 id;
	int rid;

	__builtin_memcpy(in.saddr, p->key.saddr, 16);
	__builtin_memcpy(in.daddr, p->key.daddr, 16);
	rid = sched_run(&in);
	if (rid < 0)
		return -1;
	id = (__u32)rid;
	r = bpf_map_lookup_elem(&lb_reals, &id);
	if (!r)
		return -1;
	real_bind(id, r);
	*out = r;
	return rid;
}

#endif /* LB_SCHED_H */
