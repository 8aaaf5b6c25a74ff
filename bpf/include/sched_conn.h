/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sched_conn.h — schedulers deciding from connection counts, one pass (bpf_loop)
 * over the service's destinations in IPVS list order. Definitions, with
 *   overhead(d) = (active << 8) + inactive   (ip_vs_dest_conn_overhead)
 *   "skip"      = IP_VS_DEST_F_OVERLOAD (thresholds, sched.h)
 *
 *  lc    ip_vs_lc.c:  skip, and weight 0; first d with the least overhead.
 *  wlc   ip_vs_wlc.c: skip; the first d with weight > 0 starts; then d replaces
 *                     the least when loh * w(d) > overhead(d) * w(least) (no division).
 *  sed   ip_vs_sed.c: as wlc with overhead = active + 1.
 *  nq    ip_vs_nq.c:  skip, and weight 0; a d with no active connection is taken at
 *                     once; else as sed (first candidate starts).
 *  fo    ip_vs_fo.c:  skip; the first d with the highest weight (> 0).
 *  ovf   ip_vs_ovf.c: skip, and weight 0, and active > weight; first highest weight.
 *  twos  ip_vs_twos.c: T = sum of weights (> 0, not overloaded); r1, r2 uniform in
 *                     [0, T] (bpf_get_prandom_u32() % (T + 1), the kernel uses its
 *                     prandom too); walking the list, r -= w(d), the first d
 *                     bringing r <= 0 is the choice; choice2 wins when
 *                     w2 * overhead1 > w1 * overhead2.
 * Products are 64-bit (the kernel's twos multiplies in int; no difference below
 * 2^31).
 */
#ifndef LB_SCHED_CONN_H
#define LB_SCHED_CONN_H

enum {
	CS_PASS_MAIN = 0,
	CS_PASS_TWOS_TOTAL = 1,
	CS_PASS_TWOS_PICK = 2,
	CS_PASS_LBLC_LIGHT = 3, /* lblc/lblcr is_overloaded(): any d with 2 * active < weight */
};

struct conn_sched {
	__u32 list_key;
	__u32 svc_id;
	__u8 sched;
	__u8 pass;
	__s64 best;   /* chosen id, -1 none */
	__s64 loh;    /* its overhead */
	__s64 lw;     /* its weight */
	/* twos */
	__s64 total;
	__s64 r1, r2;
	__s64 c1, c2, w1, w2, oh1, oh2;
};

__attribute__((noinline)) int sched_conn_step(struct conn_sched *c, __u32 i)
{
	struct lb_svc_dests *d;
	struct lb_real *r;
	__s64 w, doh, act;
	__u32 id;

	if (!c)
		return 1;
	d = bpf_map_lookup_elem(&lb_svc_dests, &c->list_key);
	if (!d || i >= LB_MAX_SVC_DESTS || i >= d->count)
		return 1;
	id = d->ids[i];
	r = real_of_svc(id, c->svc_id);
	if (!r)
		return 0;
	w = r->weight;
	if (c->pass == CS_PASS_LBLC_LIGHT) {
		if (conn_active(id) * 2 < w) {
			c->best = id;
			return 1;
		}
		return 0;
	}
	if (real_overloaded(id, r))
		return 0;

	switch (c->pass == CS_PASS_MAIN ? c->sched : LB_SCHED_TWOS) {
	case LB_SCHED_LC:
		if (w == 0)
			return 0;
		doh = conn_overhead(id);
		if (c->best < 0 || doh < c->loh)
			goto take;
		return 0;
	case LB_SCHED_WLC:
	case LB_SCHED_LBLC: /* __ip_vs_lblc_schedule() and __ip_vs_lblcr_schedule() are wlc */
	case LB_SCHED_LBLCR:
		doh = conn_overhead(id);
		goto weighted;
	case LB_SCHED_SED:
		doh = conn_active(id) + 1;
		goto weighted;
	case LB_SCHED_NQ:
		if (w == 0)
			return 0;
		act = conn_active(id);
		doh = act + 1;
		if (act == 0) {
			c->best = id;
			c->loh = doh;
			c->lw = w;
			return 1;
		}
		if (c->best < 0 || c->loh * w > doh * c->lw)
			goto take;
		return 0;
	case LB_SCHED_FO:
		if (w > (c->best < 0 ? 0 : c->lw))
			goto take_w;
		return 0;
	case LB_SCHED_OVF:
		if (w == 0 || conn_active(id) > w)
			return 0;
		if (c->best < 0 || w > c->lw)
			goto take_w;
		return 0;
	case LB_SCHED_TWOS:
		if (w <= 0)
			return 0;
		if (c->pass == CS_PASS_TWOS_TOTAL) {
			c->total += w;
			return 0;
		}
		c->r1 -= w;
		c->r2 -= w;
		if (c->r1 <= 0 && c->c1 < 0) {
			c->c1 = id;
			c->w1 = w;
			c->oh1 = conn_overhead(id);
		}
		if (c->r2 <= 0 && c->c2 < 0) {
			c->c2 = id;
			c->w2 = w;
			c->oh2 = conn_overhead(id);
		}
		return (c->c1 >= 0 && c->c2 >= 0) ? 1 : 0;
	default:
		return 1;
	}

weighted:
	if (c->best < 0) {
		if (w > 0)
			goto take;
		return 0;
	}
	if (c->loh * w > doh * c->lw)
		goto take;
	return 0;
take_w:
	doh = 0;
take:
	c->best = id;
	c->loh = doh;
	c->lw = w;
	return 0;
}

static long conn_sched_step(__u32 i, void *data)
{
	return sched_conn_step(data, i) ? 1 : 0;
}

static __always_inline __u32 svc_dest_count(__u32 list_key)
{
	struct lb_svc_dests *d = bpf_map_lookup_elem(&lb_svc_dests, &list_key);

	if (!d)
		return 0;
	return d->count > LB_MAX_SVC_DESTS ? LB_MAX_SVC_DESTS : d->count;
}

static __always_inline int sched_conn(struct sched_in *in, __u8 sched)
{
	struct conn_sched c = {
		.list_key = dests_key(in), .svc_id = in->svc_id, .sched = sched,
		.best = -1, .c1 = -1, .c2 = -1,
	};
	__u32 n = svc_dest_count(c.list_key);

	if (n == 0)
		return -1;
	if (sched != LB_SCHED_TWOS) {
		c.pass = CS_PASS_MAIN;
		bpf_loop(n, conn_sched_step, &c, 0);
		return c.best;
	}
	c.pass = CS_PASS_TWOS_TOTAL;
	bpf_loop(n, conn_sched_step, &c, 0);
	if (c.total <= 0)
		return -1;
	c.total += 1; /* inclusive [0, total], as ip_vs_twos.c */
	c.r1 = bpf_get_prandom_u32() % (__u64)c.total;
	c.r2 = bpf_get_prandom_u32() % (__u64)c.total;
	c.pass = CS_PASS_TWOS_PICK;
	bpf_loop(n, conn_sched_step, &c, 0);
	if (c.c1 < 0)
		return -1;
	if (c.c2 >= 0 && c.w2 * c.oh1 > c.w1 * c.oh2)
		return c.c2;
	return c.c1;
}

/* lblc/lblcr is_overloaded(): dest has more active connections than its weight
 * and some destination of the service is below half its weight. */
static __always_inline int lblc_overloaded(struct sched_in *in, __u32 id, struct lb_real *r)
{
	struct conn_sched c = { .list_key = dests_key(in), .svc_id = in->svc_id, .best = -1 };
	__u32 n;

	if (conn_active(id) <= (__s64)r->weight)
		return 0;
	n = svc_dest_count(c.list_key);
	c.pass = CS_PASS_LBLC_LIGHT;
	bpf_loop(n, conn_sched_step, &c, 0);
	return c.best >= 0;
}

#endif /* LB_SCHED_CONN_H */
