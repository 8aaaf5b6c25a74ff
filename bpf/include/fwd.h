/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fwd.h — hands a scheduled packet to its real server's forwarding method.
 * One header per method (fwd_dr.h, …); this file only dispatches.
 */
#ifndef LB_FWD_H
#define LB_FWD_H

#include "lb_shared.h"
#include "maps.h"
#include "parse.h"
#include "fwd_dr.h"

static __always_inline int forward(struct xdp_md *ctx, struct pkt *p, __u32 real_id,
				   struct lb_real *r, __u64 now)
{
	switch (r->fwd) {
	case LB_FWD_DR:
		return fwd_dr(ctx, real_id, r, p->l3_len, now);
	default:
		return drop(LB_STAT_DROP_UNSUPPORTED);
	}
}

#endif /* LB_FWD_H */
