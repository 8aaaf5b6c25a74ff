/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sched.h — choosing a destination for a new connection.
 *
 * Table schedulers (rr, wrr) have their sequence computed by the control plane
 * (src/sched/) and written into lb_slots as two generations; the service entry
 * names the live one, so a change is written beside the running table and then
 * switched in with one map update. Here we only walk the sequence: a shared
 * cursor per service (atomic fetch-add, so all CPUs share one round-robin order)
 * picks the next slot.
 */
#ifndef LB_SCHED_H
#define LB_SCHED_H

#include "lb_shared.h"
#include "maps.h"

/* A destination the scheduler may give new connections to. */
static __always_inline struct lb_real *real_available(__u32 real_id, __u32 svc_id)
{
	struct lb_real *r = bpf_map_lookup_elem(&lb_reals, &real_id);

	if (!r || !(r->flags & LB_REAL_F_USED) || r->svc_id != svc_id)
		return 0;
	if (r->weight == 0 || (r->flags & LB_REAL_F_OVERLOAD))
		return 0;
	return r;
}

/* Tries a few consecutive slots, in case the control plane is mid-change and a
 * slot names a destination that was just quiesced. Returns the id or -1. */
#define SCHED_TABLE_TRIES 4

static __always_inline __s64 sched_table(struct lb_svc *svc, struct lb_real **out)
{
	struct lb_svc_state *st;
	__u32 len = svc->table_len;
	__u64 pos;

	if (len == 0 || len > LB_MAX_TABLE)
		return -1;
	st = bpf_map_lookup_elem(&lb_svc_state, &svc->id);
	if (!st)
		return -1;
	pos = __sync_fetch_and_add(&st->cursor, 1);
	for (int i = 0; i < SCHED_TABLE_TRIES; i++) {
		struct lb_slot_key k = {
			.svc_id = svc->id,
			.slot = ((__u32)(svc->gen & 1) << 31) | (__u32)((pos + i) % len),
		};
		__u32 *rid = bpf_map_lookup_elem(&lb_slots, &k);
		struct lb_real *r;

		if (!rid)
			continue;
		r = real_available(*rid, svc->id);
		if (r) {
			*out = r;
			return *rid;
		}
	}
	return -1;
}

static __always_inline __s64 sched_pick(struct lb_svc *svc, struct lb_real **out)
{
	switch (svc->sched) {
	case LB_SCHED_RR:
	case LB_SCHED_WRR:
		return sched_table(svc, out);
	default:
		return -1;
	}
}

#endif /* LB_SCHED_H */
