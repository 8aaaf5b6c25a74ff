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
 *  - at most the kernel's default rates: per client address, a burst of 6, then one
 *    a second (net.ipv4.icmp_ratelimit 1000 ms with XRLIM_BURST_FACTOR 6; ICMPv6's
 *    is also 1000 ms, which the kernel scales by the route's prefix length, we do
 *    not); and overall, a burst of 50, then 1,000 a second (net.ipv4.icmp_msgs_per_sec
 *    / icmp_msgs_burst) — per CPU here, not per host. The kernel's sysctls are not
 *    read: changing them does not change these.
 * A packet not answered is dropped and counted as DROP_NO_REAL, as before; an
 * answered one counts ICMP_UNREACH and TX.
 */
#ifndef LB_ICMP_UNREACH_H
#define LB_ICMP_UNREACH_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "lb_shared.h"
#include "icmp.h"

#define ICMP_PEER_COST_NS 1000000000ULL       /* icmp_ratelimit: 1000 ms */
#define ICMP_PEER_BURST_NS (6 * ICMP_PEER_COST_NS)
#define ICMP_GLOBAL_COST_NS 1000000ULL        /* icmp_msgs_per_sec: 1000 */
#define ICMP_GLOBAL_BURST_NS (50 * ICMP_GLOBAL_COST_NS)
#define ICMP_PEERS 4096

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
static __always_inline __u64 icmp_credit(struct icmp_bucket *b, __u64 now, __u64 burst)
{
	__u64 t = b->tokens_ns + (now - b->last_ns);

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
	__u64 now = bpf_ktime_get_ns(), global, credit;
	__u32 zero = 0;

	if (!icmp_source_ok(k))
		return 0;
	g = bpf_map_lookup_elem(&icmp_global_rl, &zero);
	if (!g)
		return 0;
	/* the first time, now - 0 is far more than the burst: full credit */
	global = icmp_credit(g, now, ICMP_GLOBAL_BURST_NS);
	g->tokens_ns = global;
	if (global < ICMP_GLOBAL_COST_NS)
		return 0;

	__builtin_memcpy(peer.addr, k->saddr, sizeof(peer.addr));
	b = bpf_map_lookup_elem(&icmp_peer_rl, &peer);
	if (!b) { /* a new peer has full credit, as a new inet_peer (60 s in the past) */
		fresh.tokens_ns = ICMP_PEER_BURST_NS - ICMP_PEER_COST_NS;
		fresh.last_ns = now;
		bpf_map_update_elem(&icmp_peer_rl, &peer, &fresh, BPF_ANY);
	} else {
		credit = icmp_credit(b, now, ICMP_PEER_BURST_NS);
		if (credit < ICMP_PEER_COST_NS) {
			b->tokens_ns = credit;
			return 0;
		}
		b->tokens_ns = credit - ICMP_PEER_COST_NS;
	}
	g->tokens_ns = global - ICMP_GLOBAL_COST_NS;
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
