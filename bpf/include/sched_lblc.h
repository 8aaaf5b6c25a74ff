/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sched_lblc.h — locality-based least-connection (ip_vs_lblc.c) and its
 * replicated variant (ip_vs_lblcr.c). The cache is keyed by (service, packet
 * destination address) in the LRU map lb_lblc. For a service on a VIP the
 * destination address is always the VIP, so, as in the kernel, all its clients
 * share one cache entry.
 *
 * lblc:  en = cache[daddr]; if en: en.lastuse = now; if en.dest is available,
 *        weight > 0 and not is_overloaded(en.dest): use it.
 *        Else dest = wlc over the service; cache[daddr] = dest.
 *        (The cached destination is not checked for the -x/-y overload flag: the
 *        kernel does not either.)
 * lblcr: en = cache[daddr]; if en: en.lastuse = now; dest = weighted least-conn
 *        of en.set (skipping overloaded, weight 0, unavailable); if |set| > 1 and
 *        now > set.lastmod + 24h: remove the weighted most-loaded member. If dest
 *        and not is_overloaded(dest): use it. Else dest = wlc over the service,
 *        add it to the set (newest first, lastmod = now).
 *        No entry: dest = wlc; new entry {dest}.
 * is_overloaded(d) = active(d) > weight(d) and some destination e of the service
 *        has 2 * active(e) < weight(e).
 *
 * Differences from the kernel, all in housekeeping: an entry unused for 24 hours
 * (lblc_expiration / lblcr_expiration) is treated as absent at lookup, where the
 * kernel's full check removes it within the next half hour; when the map is full
 * the LRU evicts the least recently used entry instead of the kernel's 6-minute
 * collection; a set holds at most LB_LBLCR_SET_MAX destinations (adding to a full
 * set drops the oldest); concurrent updates of one entry on two CPUs keep the last
 * writer's (the kernel serialises them with sched_lock).
 */
#ifndef LB_SCHED_LBLC_H
#define LB_SCHED_LBLC_H

#define LB_LBLC_EXPIRE_NS ((__u64)LB_LBLC_EXPIRE_S * 1000000000ULL)

/* A per-CPU working copy of an entry: the program's stack is too small for it. */
static __always_inline struct lb_lblc_entry *lblc_scratch(void)
{
	__u32 zero = 0;
	struct lb_lblc_entry *en = bpf_map_lookup_elem(&lb_lblc_scratch, &zero);

	if (en)
		__builtin_memset(en, 0, sizeof(*en));
	return en;
}

static __always_inline void lblc_key(struct lb_lblc_key *k, struct sched_in *in)
{
	__builtin_memcpy(k->daddr, in->daddr, 16);
	k->svc_id = in->svc_id;
	k->family = in->family;
}

/* The cached real at index i, if it is still that real and serves the service. */
static __always_inline struct lb_real *lblc_member(struct lb_lblc_entry *en, __u32 i, __u32 svc_id)
{
	struct lb_real *r;

	if (i >= LB_LBLCR_SET_MAX)
		return 0;
	r = real_of_svc(en->ids[i], svc_id);
	if (!r || r->seq != en->seqs[i])
		return 0;
	return r;
}

static __always_inline int sched_lblc(struct sched_in *in)
{
	__u64 now = in->now;
	struct lb_lblc_key k = {};
	struct lb_lblc_entry *en, *fresh;
	struct lb_real *r;
	__s64 rid;
	__u32 id;

	lblc_key(&k, in);
	en = bpf_map_lookup_elem(&lb_lblc, &k);
	if (en && now - en->lastuse_ns <= LB_LBLC_EXPIRE_NS) {
		en->lastuse_ns = now;
		r = lblc_member(en, 0, in->svc_id);
		if (r && r->weight > 0 && !lblc_overloaded(in, en->ids[0], r))
			return en->ids[0];
		rid = sched_conn(in, LB_SCHED_WLC);
		if (rid < 0)
			return -1;
		if (r && en->ids[0] == (__u32)rid)
			return rid; /* ip_vs_lblc_new(): same dest, entry kept */
	} else {
		rid = sched_conn(in, LB_SCHED_WLC);
		if (rid < 0)
			return -1;
	}
	id = (__u32)rid;
	r = bpf_map_lookup_elem(&lb_reals, &id);
	fresh = lblc_scratch();
	if (!fresh)
		return rid;
	fresh->lastuse_ns = now;
	fresh->lastmod_ns = now;
	fresh->count = 1;
	fresh->ids[0] = id;
	fresh->seqs[0] = r ? r->seq : 0;
	bpf_map_update_elem(&lb_lblc, &k, fresh, BPF_ANY);
	return rid;
}

/* ip_vs_dest_set_min(): weighted least-connection member, or -1. */
static __always_inline __s64 lblcr_set_min(struct lb_lblc_entry *en, __u32 svc_id)
{
	__s64 best = -1, loh = 0, lw = 0;

	for (__u32 i = 0; i < LB_LBLCR_SET_MAX; i++) {
		struct lb_real *r;
		__s64 doh, w;

		if (i >= en->count)
			break;
		r = lblc_member(en, i, svc_id);
		if (!r || real_overloaded(en->ids[i], r))
			continue;
		w = r->weight;
		doh = conn_overhead(en->ids[i]);
		if (best < 0 ? w > 0 : loh * w > doh * lw) {
			best = en->ids[i];
			loh = doh;
			lw = w;
		}
	}
	return best;
}

/* ip_vs_dest_set_max(): index of the weighted most-loaded member (weight > 0), or -1. */
static __always_inline int lblcr_set_max(struct lb_lblc_entry *en, __u32 svc_id)
{
	__s64 moh = 0, mw = 0;
	int most = -1;

	for (__u32 i = 0; i < LB_LBLCR_SET_MAX; i++) {
		struct lb_real *r;
		__s64 doh, w;

		if (i >= en->count)
			break;
		r = lblc_member(en, i, svc_id);
		w = r ? r->weight : 0; /* a removed real counts as weight 0 */
		if (w <= 0)
			continue;
		doh = conn_overhead(en->ids[i]);
		if (most < 0 || moh * w < doh * mw) {
			most = i;
			moh = doh;
			mw = w;
		}
	}
	return most;
}

static __always_inline void lblcr_erase(struct lb_lblc_entry *en, int idx, __u64 now)
{
	for (__u32 i = 0; i + 1 < LB_LBLCR_SET_MAX; i++) {
		if ((int)i >= idx && i + 1 < en->count) {
			en->ids[i] = en->ids[i + 1];
			en->seqs[i] = en->seqs[i + 1];
		}
	}
	if (en->count > 0)
		en->count--;
	en->lastmod_ns = now;
}

/* ip_vs_dest_set_insert(set, dest, check=true): at the head, newest first. */
static __always_inline void lblcr_insert(struct lb_lblc_entry *en, __u32 id, __u32 seq, __u64 now)
{
	for (__u32 i = 0; i < LB_LBLCR_SET_MAX; i++)
		if (i < en->count && en->ids[i] == id && en->seqs[i] == seq)
			return;
	for (int i = LB_LBLCR_SET_MAX - 1; i > 0; i--) {
		en->ids[i] = en->ids[i - 1];
		en->seqs[i] = en->seqs[i - 1];
	}
	en->ids[0] = id;
	en->seqs[0] = seq;
	if (en->count < LB_LBLCR_SET_MAX)
		en->count++;
	en->lastmod_ns = now;
}

static __always_inline int sched_lblcr(struct sched_in *in)
{
	__u64 now = in->now;
	struct lb_lblc_key k = {};
	struct lb_lblc_entry *cur, *en = lblc_scratch();
	struct lb_real *r;
	__s64 rid = -1;
	__u32 id;

	if (!en)
		return -1;
	lblc_key(&k, in);
	cur = bpf_map_lookup_elem(&lb_lblc, &k);
	if (cur && now - cur->lastuse_ns <= LB_LBLC_EXPIRE_NS) {
		*en = *cur;
		en->lastuse_ns = now;
		cur->lastuse_ns = now;
		rid = lblcr_set_min(en, in->svc_id);
		if (en->count > 1 && now - en->lastmod_ns > LB_LBLC_EXPIRE_NS) {
			int m = lblcr_set_max(en, in->svc_id);

			if (m >= 0)
				lblcr_erase(en, m, now);
		}
		if (rid >= 0) {
			id = (__u32)rid;
			r = bpf_map_lookup_elem(&lb_reals, &id);
			if (r && !lblc_overloaded(in, id, r)) {
				bpf_map_update_elem(&lb_lblc, &k, en, BPF_ANY);
				return rid;
			}
		}
		rid = sched_conn(in, LB_SCHED_WLC);
		if (rid < 0) {
			bpf_map_update_elem(&lb_lblc, &k, en, BPF_ANY);
			return -1;
		}
	} else {
		rid = sched_conn(in, LB_SCHED_WLC);
		if (rid < 0)
			return -1;
		en->lastuse_ns = now;
	}
	id = (__u32)rid;
	r = bpf_map_lookup_elem(&lb_reals, &id);
	lblcr_insert(en, id, r ? r->seq : 0, now);
	bpf_map_update_elem(&lb_lblc, &k, en, BPF_ANY);
	return rid;
}

#endif /* LB_SCHED_LBLC_H */
