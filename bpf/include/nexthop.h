/* SPDX-License-Identifier: GPL-2.0 */
/*
 * nexthop.h — where a real server is on the wire: egress interface and MACs.
 *
 * Answers come from the kernel's routing and neighbour tables (bpf_fib_lookup),
 * never from hand-typed configuration. A lookup per packet would dominate the hot
 * path, so the answer is cached per CPU and per real for LB_NH_TTL_MS; a real whose
 * id was reused (different seq) never inherits the cache.
 *
 * bpf_fib_lookup refuses (FWD_DISABLED) unless forwarding is on for the receiving
 * interface, output lookups included; `lvs-xdp attach` turns it on for the
 * interfaces it attaches to and `detach` restores the previous setting.
 */
#ifndef LB_NEXTHOP_H
#define LB_NEXTHOP_H

#include <linux/bpf.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>
#include "lb_shared.h"
#include "maps.h"

#ifndef AF_INET
#define AF_INET 2
#endif
#ifndef AF_INET6
#define AF_INET6 10
#endif

static __always_inline void fib_params(struct bpf_fib_lookup *f, struct xdp_md *ctx,
				       const __be32 *dst, __u8 family, __u32 l3_len)
{
	__builtin_memset(f, 0, sizeof(*f));
	f->ifindex = ctx->ingress_ifindex;
	f->tot_len = l3_len;
	if (family == LB_AF_INET) {
		f->family = AF_INET;
		f->ipv4_dst = dst[0];
	} else {
		f->family = AF_INET6;
		__builtin_memcpy(f->ipv6_dst, dst, 16);
	}
}

/*
 * A cache entry checked at checked_ns is still trusted at now. Signed: the flow
 * cache forwards with the clock of its last full-path pass (flowcache.h), which may
 * be a little older than an entry another packet refreshed since; that counts as
 * fresh, not as 584 years old.
 */
static __always_inline int nh_fresh(__u64 now, __u64 checked_ns)
{
	return (__s64)(now - checked_ns) < (__s64)LB_NH_TTL_MS * 1000000LL;
}

/*
 * The MTU of device ifindex into *mtu (0 when the kernel does not say), read with a
 * next hop when it is cached, so the forwarding steps compare against it and need no
 * helper call and device lookup per packet (fwd_nat.h cached_mtu_exceeded).
 * bpf_check_mtu always writes the device's MTU; its verdict about this packet does
 * not matter here.
 */
static __always_inline void device_mtu(struct xdp_md *ctx, __u32 ifindex, __u32 *mtu)
{
	*mtu = 0;
	bpf_check_mtu(ctx, ifindex, mtu, 0, 0);
}

/* Returns the cached or refreshed next hop, or NULL with *stat set to the reason. */
static __always_inline struct lb_nexthop *nexthop_get(struct xdp_md *ctx, __u32 real_id,
						      struct lb_real *r, __u32 l3_len,
						      __u64 now, __u32 *stat)
{
	struct lb_nexthop *nh = bpf_map_lookup_elem(&lb_nexthops, &real_id);
	struct bpf_fib_lookup f;
	long rc;

	if (!nh) {
		*stat = LB_STAT_DROP_FIB;
		return 0;
	}
	if (nh->ifindex && nh->real_seq == r->seq && nh_fresh(now, nh->checked_ns))
		return nh;

	fib_params(&f, ctx, r->addr, r->family, l3_len);
	rc = bpf_fib_lookup(ctx, &f, sizeof(f), 0);
	if (rc != BPF_FIB_LKUP_RET_SUCCESS) {
		nh->ifindex = 0;
		if (rc == BPF_FIB_LKUP_RET_NO_NEIGH)
			*stat = LB_STAT_DROP_NO_NEIGH;
		else if (rc == BPF_FIB_LKUP_RET_FWD_DISABLED)
			*stat = LB_STAT_DROP_FWD_DISABLED;
		else
			*stat = LB_STAT_DROP_FIB;
		return 0;
	}
	nh->ifindex = f.ifindex;
	nh->real_seq = r->seq;
	nh->checked_ns = now;
	__builtin_memcpy(nh->dmac, f.dmac, 6);
	__builtin_memcpy(nh->smac, f.smac, 6);
	device_mtu(ctx, f.ifindex, &nh->mtu);
	return nh;
}

/* Sends the (rewritten) frame towards nh: back out the receiving port, or another. */
static __always_inline int nexthop_xmit(struct xdp_md *ctx, struct lb_nexthop *nh)
{
	if (nh->ifindex == ctx->ingress_ifindex) {
		lb_count(LB_STAT_TX);
		return XDP_TX;
	}
	lb_count(LB_STAT_REDIRECT);
	return bpf_redirect(nh->ifindex, 0);
}

#endif /* LB_NEXTHOP_H */
