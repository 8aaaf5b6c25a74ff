/* SPDX-License-Identifier: GPL-2.0 */
/* maps.h — every map of the director program. Sizes marked "set at attach" are
 * changed by the control plane before load (bpf_map__set_max_entries). */
#ifndef LB_MAPS_H
#define LB_MAPS_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "lb_shared.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, LB_MAX_SERVICES);
	__type(key, struct lb_svc_key);
	__type(value, struct lb_svc);
} lb_services SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, LB_MAX_SERVICES);
	__type(key, __u32);
	__type(value, struct lb_svc_state);
} lb_svc_state SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, LB_MAX_REALS);
	__type(key, __u32);
	__type(value, struct lb_real);
} lb_reals SEC(".maps");

/* Hash without preallocation: only the slots services really use take memory. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, LB_MAX_SLOTS);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct lb_slot_key);
	__type(value, __u32);
} lb_slots SEC(".maps");

/* Shared LRU: every CPU sees every connection (a flow may move between queues).
 * Size set at attach. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, LB_DEFAULT_CONNS);
	__type(key, struct lb_conn_key);
	__type(value, struct lb_conn);
} lb_conns SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, LB_MAX_REALS);
	__type(key, __u32);
	__type(value, struct lb_nexthop);
} lb_nexthops SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, LB_MAX_REALS);
	__type(key, __u32);
	__type(value, struct lb_real_conns);
} lb_real_conns SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, LB_MAX_SERVICES);
	__type(key, __u32);
	__type(value, struct lb_counters);
} lb_svc_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, LB_MAX_REALS);
	__type(key, __u32);
	__type(value, struct lb_counters);
} lb_real_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, LB_STAT_SLOTS);
	__type(key, __u32);
	__type(value, __u64);
} lb_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct lb_meta);
} lb_meta SEC(".maps");

/* ---- schedulers (issue #4): maps below this line ---- */

/* Key svc_id * 2 + generation; value the service's destinations in list order. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, LB_MAX_SERVICES * 2);
	__type(key, __u32);
	__type(value, struct lb_svc_dests);
} lb_svc_dests SEC(".maps");

/* Per destination: the -x/-y overload flag, written only by the program. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, LB_MAX_REALS);
	__type(key, __u32);
	__type(value, struct lb_real_load);
} lb_real_load SEC(".maps");

/* lblc / lblcr caches; the LRU stands in for IPVS's 6-minute garbage collection. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, LB_LBLC_ENTRIES);
	__type(key, struct lb_lblc_key);
	__type(value, struct lb_lblc_entry);
} lb_lblc SEC(".maps");

/* Per-CPU working copy of one lb_lblc entry (the stack is too small). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct lb_lblc_entry);
} lb_lblc_scratch SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct lb_sched_anchor);
} lb_sched_anchor SEC(".maps");

/* ---- connection state, timeouts, persistence (issue #4): maps below this line ---- */

/* The expiry sweep's report and controls (struct lb_gc), pinned. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct lb_gc);
} lb_gc SEC(".maps");

/* The sweep's BPF timer. Pinned: a timer lives as long as its map has user
 * references, so the pin keeps expiry running with no lvs-xdp process. */
struct gc_timer_val {
	struct bpf_timer t;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct gc_timer_val);
} lb_gc_timer SEC(".maps");

/* Per destination: the sweep's recount (struct lb_gc_real). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, LB_MAX_REALS);
	__type(key, __u32);
	__type(value, struct lb_gc_real);
} lb_gc_real SEC(".maps");

/* Carries enum lb_conn_timeout into BTF for `make gen`; never used. */
struct conn_btf_anchor {
	enum lb_conn_timeout timeout;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct conn_btf_anchor);
} lb_conn_btf_anchor SEC(".maps");

/* ---- forwarding methods TUN/NAT/FULLNAT, ICMP (issue #3): maps below this line ---- */

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct lb_fwd_conf);
} lb_fwd_conf SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, LB_MAX_SERVICES);
	__type(key, __u32);
	__type(value, struct lb_laddr_set);
} lb_laddrs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, LB_MAX_SERVICES * LB_MAX_LADDRS);
	__type(key, __u32);
	__type(value, struct lb_laddr_counters);
} lb_laddr_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, LB_MAX_REALS);
	__type(key, __u32);
	__type(value, struct lb_tun_src);
} lb_tun_srcs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_PERCPU_HASH);
	__uint(max_entries, LB_FIB_CACHE);
	__type(key, struct lb_fib_key);
	__type(value, struct lb_fib_entry);
} lb_fib_cache SEC(".maps");

/* Never read: carries this section's enums into BTF for `make gen`. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct lb_fwd_btf_anchor);
} lb_fwd_btf_anchor SEC(".maps");

/* ---- rates (issue #5): maps below this line ---- */

/* Written by the agent's estimator only (struct lb_rate); the program never reads it. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, LB_RATES_ENTRIES);
	__type(key, __u32);
	__type(value, struct lb_rate);
} lb_rates SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct lb_rates_btf_anchor);
} lb_rates_btf_anchor SEC(".maps");

/* Never read by the program: it carries every shared enum into BTF for `make gen`. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct lb_btf_anchor);
} lb_btf_anchor SEC(".maps");

_Static_assert(LB_STAT__MAX <= LB_STAT_SLOTS, "lb_stats has no room for every counter");

static __always_inline void lb_count(__u32 stat)
{
	__u64 *v = bpf_map_lookup_elem(&lb_stats, &stat);

	if (v)
		*v += 1;
}

static __always_inline int pass(__u32 stat)
{
	lb_count(stat);
	return XDP_PASS;
}

static __always_inline int drop(__u32 stat)
{
	lb_count(stat);
	return XDP_DROP;
}

/* Client-to-real direction of IPVS's stats: InPkts, InBytes, and Conns when new. */
static __always_inline void count_in(__u32 idx, void *map, __u32 len, int new_conn)
{
	struct lb_counters *s = bpf_map_lookup_elem(map, &idx);

	if (!s)
		return;
	s->inpkts++;
	s->inbytes += len;
	if (new_conn)
		s->conns++;
}

#endif /* LB_MAPS_H */
