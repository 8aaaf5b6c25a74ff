/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fwd_dr.h — direct routing (ipvsadm -g): only the Ethernet addresses change.
 * The IP packet is untouched (no TTL decrement, as IPVS's ip_vs_dr_xmit); the
 * real server holds the VIP on lo and answers the client itself.
 */
#ifndef LB_FWD_DR_H
#define LB_FWD_DR_H

#include <linux/if_ether.h>
#include "nexthop.h"

static __always_inline int fwd_dr(struct xdp_md *ctx, __u32 real_id, struct lb_real *r,
				  __u32 l3_len, __u64 now)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct lb_nexthop *nh;
	__u32 stat = 0;

	nh = nexthop_get(ctx, real_id, r, l3_len, now, &stat);
	if (!nh) {
		lb_count(stat);
		return XDP_DROP;
	}
	if ((void *)(eth + 1) > end)
		return XDP_DROP;
	__builtin_memcpy(eth->h_dest, nh->dmac, ETH_ALEN);
	__builtin_memcpy(eth->h_source, nh->smac, ETH_ALEN);
	return nexthop_xmit(ctx, nh);
}

#endif /* LB_FWD_DR_H */
