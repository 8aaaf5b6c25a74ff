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

/* ---- connection state, timeouts, persistence (issue #4): maps below this line ---- */

/* ---- forwarding methods TUN/NAT/FULLNAT, ICMP (issue #3): maps below this line ---- */

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
