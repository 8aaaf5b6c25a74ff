// SPDX-License-Identifier: GPL-2.0
/*
 * lb.bpf.c — the director: parse → connection → (miss: service → schedule) → forward.
 * Entry and dispatch only; each step lives in its own header under include/.
 * The connection is looked up first, as IPVS's ip_vs_in() does: a live entry needs no
 * service lookup (conntrack.h, conn_hit), which keeps the hot path to one hash lookup.
 *
 * Rules for what is not ours (each counted in lb_stats, see enum lb_stat):
 *  - not IPv4/IPv6, not TCP/UDP, IPv4 fragments, IPv6 extension headers, and
 *    anything not addressed to a virtual service: XDP_PASS, untouched;
 *  - headers too short to tell whether the packet is for a service: XDP_PASS,
 *    the kernel validates and drops it;
 *  - for a service but with a bad IPv4 header checksum or a bad TCP/UDP header:
 *    XDP_DROP (never forwarded);
 *  - TCP without SYN and without a connection entry: XDP_PASS, as IPVS does
 *    (ip_vs_in() leaves it to the stack).
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "include/lb_shared.h"
#include "include/maps.h"
#include "include/parse.h"
#include "include/conntrack.h"
#include "include/gc.h"
#include "include/sched.h"
#include "include/fwd.h"
#include "include/flowcache.h"
#include "include/icmp_unreach.h"

char LICENSE[] SEC("license") = "GPL";

/* What every packet for a service must pass before it is forwarded. */
static __always_inline int headers_ok(struct xdp_md *ctx, struct pkt *p, void *end)
{
	return l4_header_ok(p, end) && (p->key.family != LB_AF_INET || ipv4_csum_ok(ctx, p->l3, end));
}

/* IPVS's In counters of the service and the real, then the forwarding method. */
static __always_inline int count_and_forward(struct xdp_md *ctx, struct pkt *p, __u32 svc_id, __u32 real_id,
					     struct lb_real *r, __u64 now, int is_new)
{
	count_in(svc_id, &lb_svc_stats, p->l3_len, is_new);
	count_in(real_id, &lb_real_stats, p->l3_len, is_new);
	return forward(ctx, p, real_id, r, now);
}

SEC("xdp")
int lb_xdp(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct cursor c = { .pos = data, .end = end };
	__be16 svc_port = 0;
	struct lb_real *r = 0;
	struct pkt p = {};
	struct flow_slot *fs;
	struct lb_svc *svc;
	struct lb_conn *ce;
	int ethertype, l3, is_new = 0;
	__s64 rid;
	__u64 now;

	ethertype = parse_eth(&c);
	if (ethertype == ETH_P_IP)
		l3 = parse_ipv4(&c, &p);
	else if (ethertype == ETH_P_IPV6)
		l3 = parse_ipv6(&c, &p);
	else if (ethertype < 0)
		return pass(LB_STAT_PASS_MALFORMED_L3);
	else
		return pass(LB_STAT_PASS_NOT_IP);

	if (l3 == L3_MALFORMED)
		return pass(LB_STAT_PASS_MALFORMED_L3);
	if (l3 == L3_FRAGMENT)
		return pass(LB_STAT_PASS_FRAGMENT);
	if (l3 == L3_EXT)
		return pass(LB_STAT_PASS_IPV6_EXT);
	/* forwarding methods (issue #3): ICMP errors about tracked connections (fwd.h) */
	if (p.key.proto == IPPROTO_ICMP || p.key.proto == IPPROTO_ICMPV6) {
		int v = fwd_icmp_hook(ctx, &p, &c);

		return v >= 0 ? v : pass(LB_STAT_PASS_OTHER_PROTO);
	}
	if (p.key.proto != IPPROTO_TCP && p.key.proto != IPPROTO_UDP)
		return pass(LB_STAT_PASS_OTHER_PROTO);
	if (parse_l4_ports(&c, &p) < 0)
		return pass(LB_STAT_PASS_MALFORMED_L3);

	/*
	 * This CPU forwarded the flow within the cache's window: no lb_conns lookup
	 * (flowcache.h). Before the NAT reply hook, whose reverse-entry lookup would cost a
	 * hash miss per packet whenever a NAT real exists: the slot was filled by a packet
	 * of this key that the hook did not take, within the window (the cache's staleness
	 * bound). The key's hash, once, serves the reply cache and the fills too.
	 */
	flow_hash_set(&p);
	fs = flow_cached(&p);
	if (fs) {
		r = flow_real(fs);
		if (__builtin_expect(r != 0, 1)) {
			if (!headers_ok(ctx, &p, end))
				return drop(LB_STAT_DROP_MALFORMED);
			p.paired = fs->paired;
			return count_and_forward(ctx, &p, fs->svc_id, fs->real_id, r, fs->now_ns, 0);
		}
	}

	/* forwarding methods (issue #3): NAT/FULLNAT replies, before any service (fwd.h) */
	{
		int v = fwd_reply_hook(ctx, &p);

		if (v >= 0)
			return v;
	}

	/* Conntrack hit: the hot path, no service lookup (conntrack.h, conn_hit) */
	ce = bpf_map_lookup_elem(&lb_conns, &p.key);
	if (ce) {
		r = conn_hit(ce);
		if (__builtin_expect(r != 0, 1)) {
			__u8 state_before = ce->state;

			if (!headers_ok(ctx, &p, end))
				return drop(LB_STAT_DROP_MALFORMED);
			now = bpf_ktime_get_coarse_ns();
			conn_touch(ce, &p, now);
			flow_fill(&p, ce, r, state_before, now);
			p.conn = ce;
			p.paired = (ce->flags & LB_CONN_F_PAIRED) != 0;
			return count_and_forward(ctx, &p, ce->svc_id, ce->real_id, r, now, 0);
		}
	}

	/* (VIP, port, proto), else the VIP's persistent port-0 service (persist.h) */
	svc = svc_lookup(&p.key, &svc_port);
	if (!svc)
		return pass(LB_STAT_PASS_NOT_VIP);

	if (!headers_ok(ctx, &p, end))
		return drop(LB_STAT_DROP_MALFORMED);

	now = bpf_ktime_get_coarse_ns();
	rid = conn_real(&p, ce, svc, svc_port, now, &r, &is_new);
	if (rid < 0) {
		if (rid == -LB_STAT_PASS_TCP_NO_CONN)
			return pass(LB_STAT_PASS_TCP_NO_CONN);
		if (rid == -LB_STAT_DROP_NO_REAL) /* as ip_vs_leave(): port unreachable */
			return refuse_no_real(ctx, &p.key);
		return drop((__u32)-rid);
	}
	if (!r)
		return drop(LB_STAT_DROP_NO_REAL);

	return count_and_forward(ctx, &p, svc->id, (__u32)rid, r, now, is_new);
}

/*
 * Connection expiry (include/gc.h). lb_gc_arm is run once at attach (test run)
 * and arms the sweep's BPF timer; lb_gc_sweep runs one sweep now, the clock
 * advanced by the u64 nanoseconds at the start of its input (tests, diagnostics).
 */
SEC("xdp")
int lb_gc_arm(struct xdp_md *ctx)
{
	return gc_arm() == 0 ? XDP_PASS : XDP_ABORTED;
}

SEC("xdp")
int lb_gc_sweep(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	__u64 advance = 0;

	if (data + sizeof(__u64) <= end)
		advance = *(__u64 *)data;
	gc_sweep(bpf_ktime_get_coarse_ns() + advance);
	return XDP_PASS;
}
