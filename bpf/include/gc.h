/* SPDX-License-Identifier: GPL-2.0 */
/*
 * gc.h — expiry of lb_conns and the recount of lb_real_conns, in the kernel.
 *
 * A BPF timer (map lb_gc_timer, pinned) is armed at attach by running lb_gc_arm
 * once (BPF_PROG_TEST_RUN). Every lb_gc.period_ms (default 1 s) its callback
 * walks lb_conns with bpf_for_each_map_elem (but see gc_next_ms: a big table is
 * walked less often) and, for each entry:
 *  - connection: idle longer than its state's timeout → removed, its real's
 *    active or inactive count decremented, its NAT partner (peer_*) removed, its
 *    template's n_control decremented. An entry whose real was deleted also waits
 *    for its timeout (IPVS keeps such entries too) but is counted nowhere: the
 *    real's counts went with it;
 *  - template: past its -p timeout → removed (persist count decremented) unless it
 *    still controls connections, then its timeout starts over (IPVS expire_later);
 *  - NAT/FULLNAT reverse entry: kept while its partner exists; an orphan (partner
 *    evicted) is removed once idle past its own state's timeout;
 *  - every live entry is recounted per real (lb_gc_real). A real whose count differs
 *    from the recount by the same amount in two sweeps in a row is corrected by an
 *    atomic add (LB_STAT_CONN_RECOUNT): that is how LRU evictions and rare races with
 *    packets (a packet changing an entry the sweep is removing) are put right, while
 *    packets counted during a sweep are never undone.
 * Nothing in user space takes part: expiry and counts go on with no lvs-xdp process
 * (the pins keep the timer's map, and so the timer, alive).
 *
 * lb_gc_sweep runs one sweep now, with the clock advanced by the u64 (ns, little
 * endian) at the start of its input: the tests' controllable clock.
 */
#ifndef LB_GC_H
#define LB_GC_H

#include "lb_shared.h"
#include "maps.h"
#include "conntrack.h"
#include "persist.h"

#define NSEC_PER_SEC 1000000000ULL
#define CLOCK_MONOTONIC 1
#define GC_EBUSY 16

/* Read-only inside the callbacks: the verifier checks a callback for any number of
 * calls, and a value on the caller's stack that changed from call to call would
 * make it walk every call. What changes (scanned, expired, max_real) lives in the
 * lb_gc map value instead, which it treats as unknown on every load. */
struct gc_ctx {
	__u64 now;
	__u32 tcp;
	__u32 tcpfin;
	__u32 udp;
	__u32 pad;
};

static __always_inline int idle_past(__u64 now, __u64 last, __u32 timeout_s)
{
	return now > last && now - last > (__u64)timeout_s * NSEC_PER_SEC;
}

static __always_inline void recount(__u32 real_id, int active, int inactive, int persist, struct gc_ctx *x)
{
	struct lb_gc_real *g = bpf_map_lookup_elem(&lb_gc_real, &real_id);
	struct lb_gc *s = gc_state();

	if (!g)
		return;
	g->active += active;
	g->inactive += inactive;
	g->persist += persist;
	if (s && real_id > s->max_real && real_id < LB_MAX_REALS)
		s->max_real = real_id;
}

static __always_inline void gc_removed(struct gc_ctx *x)
{
	struct lb_gc *s = gc_state();

	if (s) {
		s->last_expired++;
		s->entries--;
	}
}

static long gc_template(struct lb_conn_key *k, struct lb_conn *c, struct gc_ctx *x)
{
	struct lb_real *r = conn_real_alive(c);
	struct lb_svc_key sk = { .port = k->dport, .proto = (__u8)k->pad, .family = k->family };
	struct lb_svc *svc;
	__u32 timeout;

	__builtin_memcpy(sk.addr, k->daddr, 16);
	svc = bpf_map_lookup_elem(&lb_services, &sk);
	if (!svc || svc->id != c->svc_id || !(svc->flags & LB_SVC_F_PERSISTENT)) {
		/* Service gone (or no longer persistent): the template is dead (a live
		 * real of a removed service loses its persist count here). A template
		 * whose real was deleted waits for its timeout below (persist_pick()
		 * drops it at once if its client comes back). */
		if (bpf_map_delete_elem(&lb_conns, k) == 0) {
			if (r)
				real_conns_add(c->real_id, 0, 0, -1);
			gc_removed(x);
		}
		return 0;
	}
	timeout = svc->timeout ? svc->timeout : LB_TO_PERSIST;
	if (idle_past(x->now, c->last_seen_ns, timeout)) {
		if (c->n_control > 0 && c->n_control < (1U << 31)) {
			c->last_seen_ns = x->now; /* still controls connections: expire later */
		} else if (bpf_map_delete_elem(&lb_conns, k) == 0) {
			if (r)
				real_conns_add(c->real_id, 0, 0, -1);
			gc_removed(x);
			return 0;
		}
	}
	if (r)
		recount(c->real_id, 0, 0, 1, x);
	return 0;
}

static long gc_reverse(struct lb_conn_key *k, struct lb_conn *c, struct gc_ctx *x)
{
	struct lb_conn_key pk;

	if (c->flags & LB_CONN_F_PAIRED) {
		conn_peer_key(c, k, &pk);
		if (bpf_map_lookup_elem(&lb_conns, &pk))
			return 0; /* its partner decides */
	}
	if (idle_past(x->now, c->last_seen_ns, conn_state_timeout(c->state, x->tcp, x->tcpfin, x->udp)) &&
	    bpf_map_delete_elem(&lb_conns, k) == 0)
		gc_removed(x);
	return 0;
}

/* The connection's template lost one controlled connection. */
static __always_inline void gc_release_template(struct lb_conn_key *k)
{
	__be16 svc_port = 0;
	struct lb_svc *svc = svc_lookup(k, &svc_port);

	if (svc && (svc->flags & LB_SVC_F_PERSISTENT))
		persist_release(k, svc, svc_port);
}

static long gc_visit(void *map, struct lb_conn_key *k, struct lb_conn *c, struct gc_ctx *x)
{
	struct lb_conn_key pk = {};
	struct lb_real *r;
	__u8 fl = c->flags;
	int inactive;

	struct lb_gc *s = gc_state();

	if (s)
		s->last_scanned++;
	if (fl & LB_CONN_F_TEMPLATE)
		return gc_template(k, c, x);
	if (fl & LB_CONN_F_REVERSE)
		return gc_reverse(k, c, x);
	r = conn_real_alive(c);
	inactive = (fl & LB_CONN_F_INACTIVE) != 0;
	if (!idle_past(x->now, c->last_seen_ns, conn_state_timeout(c->state, x->tcp, x->tcpfin, x->udp))) {
		/* An entry whose real was deleted stays until its timeout too (as in IPVS);
		 * a packet of it meets conn_real(), which drops the entry (RESCHED). */
		if (r)
			recount(c->real_id, !inactive, inactive, 0, x);
		return 0;
	}
	if (fl & LB_CONN_F_PAIRED)
		conn_peer_key(c, k, &pk);
	if (bpf_map_delete_elem(&lb_conns, k) != 0)
		return 0; /* a packet's path removed it first */
	gc_removed(x);
	if (r)
		real_conns_add(c->real_id, inactive ? 0 : -1, inactive ? -1 : 0, 0);
	if (fl & LB_CONN_F_CONTROLLED)
		gc_release_template(k);
	if ((fl & LB_CONN_F_PAIRED) && bpf_map_delete_elem(&lb_conns, &pk) == 0)
		gc_removed(x);
	return 0;
}

static long gc_zero_one(__u32 i, void *unused)
{
	struct lb_gc_real *g = bpf_map_lookup_elem(&lb_gc_real, &i);

	if (g) {
		g->active = 0;
		g->inactive = 0;
		g->persist = 0;
	}
	return 0;
}

/* One field of the two-sweep rule: returns 1 when it corrected the count. */
static __always_inline int settle(__s64 *count, __s64 seen, __s64 *prev_diff)
{
	__s64 d = *count - seen;

	if (d != 0 && d == *prev_diff) {
		__sync_fetch_and_add(count, -d);
		*prev_diff = 0;
		return 1;
	}
	*prev_diff = d;
	return 0;
}

static long gc_settle_one(__u32 i, void *unused)
{
	struct lb_gc_real *g = bpf_map_lookup_elem(&lb_gc_real, &i);
	struct lb_real_conns *rc = bpf_map_lookup_elem(&lb_real_conns, &i);
	struct lb_real *r = bpf_map_lookup_elem(&lb_reals, &i);
	int fixed = 0;

	if (!g || !rc || !r)
		return 0;
	if (!(r->flags & LB_REAL_F_USED)) {
		g->diff_active = g->diff_inactive = g->diff_persist = 0;
		return 0;
	}
	fixed |= settle(&rc->active, g->active, &g->diff_active);
	fixed |= settle(&rc->inactive, g->inactive, &g->diff_inactive);
	fixed |= settle(&rc->persist, g->persist, &g->diff_persist);
	if (fixed)
		lb_count(LB_STAT_CONN_RECOUNT);
	return 0;
}

static __always_inline void gc_sweep(__u64 now)
{
	struct lb_meta *m = meta_get();
	struct lb_gc *g = gc_state();
	struct gc_ctx x = { .now = now };
	__u64 t0 = bpf_ktime_get_ns();
	__u32 n;

	if (!g)
		return;
	if (m) {
		x.tcp = m->tcp_timeout;
		x.tcpfin = m->tcpfin_timeout;
		x.udp = m->udp_timeout;
	}
	n = g->max_real;
	if (n >= LB_MAX_REALS)
		n = LB_MAX_REALS - 1;
	bpf_loop(n + 1, gc_zero_one, 0, 0);
	g->last_scanned = 0;
	g->last_expired = 0;
	g->entries = 0; /* counted back up below: visited minus removed */
	bpf_for_each_map_elem(&lb_conns, gc_visit, &x, 0);
	/* ids above the old bound were never recounted before, so theirs started at 0 */
	n = g->max_real;
	if (n >= LB_MAX_REALS)
		n = LB_MAX_REALS - 1;
	bpf_loop(n + 1, gc_settle_one, 0, 0);
	if (g->last_expired) {
		__u32 st = LB_STAT_CONN_EXPIRED;
		__u64 *v = bpf_map_lookup_elem(&lb_stats, &st);

		if (v)
			*v += g->last_expired;
	}
	g->entries += g->last_scanned;
	g->runs++;
	g->last_start_ns = now;
	g->last_cost_ns = bpf_ktime_get_ns() - t0;
}

/*
 * The sweep's share of a CPU is bounded. A walk costs ~0.1 us per entry, almost all
 * of it waiting for memory (the entries of a big table are not in any cache), so at
 * 1M connections a walk every second would be 11 % of a CPU for bookkeeping that
 * IPVS, with a timer per connection, does not pay. After a walk that took C, the next
 * one waits at least C x 100 / LB_GC_BUDGET_PCT, at most LB_GC_MAX_WAIT_MS: ~11 s at
 * 1M entries, the configured period for tables under ~100,000. The price: an idle
 * connection is removed (and its real's count decremented) up to one wait after its
 * timeout rather than within a second; until then a packet of it still finds it.
 */
static __always_inline __u64 gc_next_ms(__u64 period_ms, __u64 cost_ns)
{
	__u64 budget_ms = cost_ns / (10000ULL * LB_GC_BUDGET_PCT); /* cost x 100 / pct, in ms */

	if (budget_ms > LB_GC_MAX_WAIT_MS)
		budget_ms = LB_GC_MAX_WAIT_MS;
	return budget_ms > period_ms ? budget_ms : period_ms;
}

static int gc_timer_cb(void *map, int *key, struct gc_timer_val *v)
{
	struct lb_gc *g = gc_state();
	__u64 period_ms = LB_GC_PERIOD_MS;

	if (g) {
		if (g->period_ms)
			period_ms = g->period_ms;
		if (!g->paused) {
			gc_sweep(bpf_ktime_get_coarse_ns());
			period_ms = gc_next_ms(period_ms, g->last_cost_ns);
		}
		g->next_ms = (__u32)period_ms;
	}
	bpf_timer_start(&v->t, period_ms * 1000000ULL, 0);
	return 0;
}

/* Arms (or, after an upgrade, re-points at this program) the sweep's timer. */
static __always_inline long gc_arm(void)
{
	__u32 zero = 0;
	struct gc_timer_val *v = bpf_map_lookup_elem(&lb_gc_timer, &zero);
	long rc;

	if (!v)
		return -1;
	rc = bpf_timer_init(&v->t, &lb_gc_timer, CLOCK_MONOTONIC);
	if (rc != 0 && rc != -GC_EBUSY)
		return rc;
	rc = bpf_timer_set_callback(&v->t, gc_timer_cb);
	if (rc != 0)
		return rc;
	return bpf_timer_start(&v->t, 1000000ULL, 0);
}

#endif /* LB_GC_H */
