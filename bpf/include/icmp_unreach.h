/* SPDX-License-Identifier: GPL-2.0 */
/*
 * icmp_unreach.h — a new connection that no real server can take is refused the way
 * IPVS refuses it: ip_vs_leave() answers with an ICMP port unreachable (ICMPv6:
 * destination unreachable, port unreachable) and drops the packet, so a client's
 * connect() fails at once with "connection refused" instead of retrying its SYN for
 * minutes. The answer itself is icmp_answer() (icmp.h).
 *
 * icmp_send() does not answer every packet, and neither do we:
 *  - not to a source no answer may go to: unspecified, loopback, multicast or
 *    reserved (IPv4 224.0.0.0 and above), IPv6 ::, ::1, ff00::/8;
 *  - at most the rates the director's kernel allows its own errors, read from its
 *    sysctls when the program is loaded (lb_icmp_conf; the kernel's defaults when
 *    nothing was written): per client address, a burst of 6, then one per
 *    net.ipv4.icmp_ratelimit (1000 ms) / net.ipv6.icmp.ratelimit (100 ms on 6.18,
 *    1000 on older kernels) (XRLIM_BURST_FACTOR; 0: no per-client limit; the kernel shortens
 *    ICMPv6's by the route's prefix length, down to 1/16 for a default route: we do
 *    not, so we answer an IPv6 client at most as often); and overall a burst of net.ipv4.icmp_msgs_burst (50), then
 *    net.ipv4.icmp_msgs_per_sec (1,000) a second — per CPU here, not per host; 0 a
 *    second: none after the burst. Neither limit applies when the ratemask
 *    (net.ipv4.icmp_ratemask, net.ipv6.icmp.ratemask) leaves destination
 *    unreachable out, as icmpv4_mask_allow() / icmpv6_mask_allow() decide.
 *    A sysctl changed later takes effect at the next `lvs-xdp attach`.
 * A packet not answered is dropped and counted as DROP_NO_REAL, as before; an
 * answered one counts ICMP_UNREACH and TX.
 */
#ifndef LB_ICMP_UNREACH_H
#define LB_ICMP_UNREACH_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "lb_shared.h"
#include "icmp.h"

#define ICMP_PEERS 4096

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct lb_icmp_conf);
} lb_icmp_conf SEC(".maps");

/* What one error costs (ns of credit) and how much credit a bucket holds at most. */
struct icmp_limit {
	__u64 cost_ns;
	__u64 burst_ns;
	__u64 refill;  /* ns of credit per ns passed: 1, or 0 (icmp_msgs_per_sec 0) */
};

/* The limits for family now: 0 if neither applies (the ratemask leaves the type out). */
static __always_inline int icmp_limits(__u32 family, struct icmp_limit *peer, struct icmp_limit *all)
{
	struct lb_icmp_conf *c;
	__u32 zero = 0, per_sec = LB_ICMP_MSGS_PER_SEC, burst = LB_ICMP_MSGS_BURST;
	__u32 peer_ms = family == LB_AF_INET ? LB_ICMP_PEER_MS_V4 : LB_ICMP_PEER_MS_V6;

	c = bpf_map_lookup_elem(&lb_icmp_conf, &zero);
	if (c && (c->flags & LB_ICMP_CONF_SET)) {
		if (!(c->flags & (family == LB_AF_INET ? LB_ICMP_CONF_LIMIT_V4 : LB_ICMP_CONF_LIMIT_V6)))
			return 0;
		peer_ms = family == LB_AF_INET ? c->peer_ms_v4 : c->peer_ms_v6;
		per_sec = c->msgs_per_sec;
		burst = c->msgs_burst;
	}
	/* no product overflows: u32 values times at most 10^9 */
	peer->cost_ns = (__u64)peer_ms * 1000000ULL;
	peer->burst_ns = LB_ICMP_PEER_BURST * peer->cost_ns;
	peer->refill = 1;
	/* 0 a second: the kernel refills nothing (icmp_global_allow), the burst is all */
	all->cost_ns = per_sec ? 1000000000ULL / per_sec : 1000000000ULL;
	all->burst_ns = (__u64)(burst ? burst : 1) * all->cost_ns;
	all->refill = per_sec != 0;
	return 1;
}

/* A token bucket counted in nanoseconds of credit (inet_peer_xrlim_allow's way). */
struct icmp_bucket {
	__u64 tokens_ns;
	__u64 last_ns;
};

/* Not lb_*: BPF-private and not pinned; a new program starts with full buckets. */
struct icmp_peer {
	__be32 addr[4];
	__u32 family;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, ICMP_PEERS);
	__type(key, struct icmp_peer);
	__type(value, struct icmp_bucket);
} icmp_peer_rl SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct icmp_bucket);
} icmp_global_rl SEC(".maps");

/* The bucket's credit now (refilled, capped at burst); last_ns moves to now. */
static __always_inline __u64 icmp_credit(struct icmp_bucket *b, __u64 now, const struct icmp_limit *l)
{
	__u64 burst = l->burst_ns;
	/* a bucket never used is full, whatever the burst and however long since boot */
	__u64 t = b->last_ns ? b->tokens_ns + (now - b->last_ns) * l->refill : burst;

	b->last_ns = now;
	return t > burst ? burst : t;
}

/* A source an error may be sent to (see above). */
static __always_inline int icmp_source_ok(const struct lb_conn_key *k)
{
	if (k->family == LB_AF_INET) {
		__u8 first = bpf_ntohl(k->saddr[0]) >> 24;

		return first != 0 && first != 127 && first < 224;
	}
	if ((bpf_ntohl(k->saddr[0]) >> 24) == 0xff)
		return 0;
	return !(k->saddr[0] == 0 && k->saddr[1] == 0 && k->saddr[2] == 0 &&
		 (k->saddr[3] == 0 || k->saddr[3] == bpf_htonl(1)));
}

/* 1 if the client of k may be sent a port unreachable now (and the credit is taken). */
static __noinline int icmp_unreach_allowed(const struct lb_conn_key *k)
{
	struct icmp_peer peer = { .family = k->family };
	struct icmp_bucket fresh, *g, *b;
	struct icmp_limit pl, gl;
	__u64 now = bpf_ktime_get_ns(), global, credit;
	__u32 zero = 0;

	if (!icmp_source_ok(k))
		return 0;
	if (!icmp_limits(k->family, &pl, &gl))
		return 1;
	g = bpf_map_lookup_elem(&icmp_global_rl, &zero);
	if (!g)
		return 0;
	global = icmp_credit(g, now, &gl);
	g->tokens_ns = global;
	if (global < gl.cost_ns)
		return 0;

	if (pl.cost_ns) { /* icmp_ratelimit 0: no limit per client (inet_peer_xrlim_allow) */
		__builtin_memcpy(peer.addr, k->saddr, sizeof(peer.addr));
		b = bpf_map_lookup_elem(&icmp_peer_rl, &peer);
		if (!b) { /* a new peer has full credit, as a new inet_peer (60 s in the past) */
			fresh.tokens_ns = pl.burst_ns - pl.cost_ns;
			fresh.last_ns = now;
			bpf_map_update_elem(&icmp_peer_rl, &peer, &fresh, BPF_ANY);
		} else {
			credit = icmp_credit(b, now, &pl);
			if (credit < pl.cost_ns) {
				b->tokens_ns = credit;
				return 0;
			}
			b->tokens_ns = credit - pl.cost_ns;
		}
	}
	g->tokens_ns = global - gl.cost_ns;
	return 1;
}

/* No real server for this new connection: the verdict, answered or dropped (counted). */
static __always_inline int refuse_no_real(struct xdp_md *ctx, const struct lb_conn_key *k)
{
	if (!icmp_unreach_allowed(k))
		return drop(LB_STAT_DROP_NO_REAL);
	return icmp_answer(ctx, ICMP_ANS_PORT_UNREACH, 0);
}

#endif /* LB_ICMP_UNREACH_H */
