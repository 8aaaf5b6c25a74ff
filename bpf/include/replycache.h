/* SPDX-License-Identifier: GPL-2.0 */
/*
 * replycache.h — the NAT/FULLNAT reply direction's per-CPU cache, beside the client
 * direction's (flowcache.h), with the same slots, ways and window.
 *
 * Why: a reply (real → client) takes two lb_conns lookups (its reverse entry, then
 * the client-side entry it names) and the client's next hop (lb_fib_cache, a third
 * hash lookup) before it is rewritten: about twice the client direction's cost
 * (bench/ns-per-packet.ts), and in NAT the replies are most of the traffic. A slot
 * keeps what nat_reply() (fwd_nat.h) computed for the flow's last full-path reply:
 * the new source (VIP:vport) and destination (the client, behind LIP:lport for
 * FULLNAT), the client's next hop and its MTU, and the ids its counters go to.
 *
 * What may be answered from a slot, and why it is the same answer nat_reply() gives
 * (the client direction's rules, flowcache.h, apply the same way):
 *  - only replies nat_reply() sent after the pair was found both ways, that could
 *    not change the connection's state (UDP; TCP with ACK and none of SYN/FIN/RST)
 *    and did not (OUTPUT table, conn_reply_state), with the next hop's MTU known;
 *  - only within LB_FLOW_JIFFIES of that reply: the pair's last_seen_ns are
 *    refreshed that often instead of on every reply, and a pair removed meanwhile
 *    (expiry, LRU, -C) is answered for at most that long after it was last found.
 *    FULLNAT: a local LIP:lport to the same RIP:rport claimed by a new connection
 *    within the window after the old pair went away would send that long to the
 *    old client (lports are drawn at random from ~64,000, fwd_fullnat.h);
 *  - the real is not checked, as nat_reply() does not: IPVS translates replies of a
 *    connection whose real was removed until the connection expires;
 *  - every packet is checked as nat_reply() checks it (L4 header, IPv4 header
 *    checksum, TTL / hop limit > 1); a packet larger than the cached MTU goes the
 *    full way, which answers it (ICMP, kernel or drop).
 * Counters (OutPkts/OutBytes of the service and real, the global ones) are counted
 * exactly as on the full path.
 */
#ifndef LB_REPLYCACHE_H
#define LB_REPLYCACHE_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "lb_shared.h"
#include "parse.h"
#include "flowcache.h"

/* BPF-private, not pinned (a new program starts empty). Two cache lines: the key,
 * ids and next hop's device in the first; the new addresses and MACs in the second. */
struct reply_slot {
	struct slot_head h; /* key: the reply as it arrives (RIP:rport → CIP:cport or LIP:lport) */
	__u32 svc_id;
	__u32 real_id;
	__u32 ifindex;      /* towards the client */
	__u32 mtu;          /* of ifindex, never 0 here */
	__be16 sport;       /* new source port: vport */
	__be16 dport;       /* new destination port: the client's */
	__be32 saddr[4];    /* new source: the VIP */
	__be32 daddr[4];    /* new destination: the client */
	__u8 dmac[6];
	__u8 smac[6];
	__u8 pad[20];
};

_Static_assert(sizeof(struct reply_slot) == 128, "a reply slot is two cache lines");
_Static_assert((LB_REPLY_SLOTS & (LB_REPLY_SLOTS - 1)) == 0, "LB_REPLY_SLOTS is a power of two");

/* max_entries is set at load to LB_REPLY_SLOTS × the possible CPUs (src/bpf/object.ts). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, LB_REPLY_SLOTS);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct reply_slot);
} lb_reply_cache SEC(".maps");

/* The slot answering this reply now, or NULL: nat_reply_match() and nat_reply(). */
static __always_inline struct reply_slot *reply_cached(const struct pkt *p)
{
	if (!flow_neutral(p))
		return 0;
	return cache_find(&lb_reply_cache, cache_slot(p->flow_hash, LB_REPLY_SLOTS), &p->key, bpf_jiffies64());
}

/* What nat_reply() did with this reply: remembered for the flow's next ones.
 * Call only for a reply that left its connection's state as it was. */
static __always_inline void reply_fill(const struct pkt *p, __u32 svc_id, __u32 real_id, const __be32 *saddr,
				       __be16 sport, const __be32 *daddr, __be16 dport, const struct lb_fib_entry *nh)
{
	struct reply_slot *s;

	if (!flow_neutral(p) || !nh->mtu)
		return;
	s = cache_claim(&lb_reply_cache, cache_slot(p->flow_hash, LB_REPLY_SLOTS), &p->key, bpf_jiffies64());
	if (!s)
		return;
	s->svc_id = svc_id;
	s->real_id = real_id;
	s->ifindex = nh->ifindex;
	s->mtu = nh->mtu;
	s->sport = sport;
	s->dport = dport;
	__builtin_memcpy(s->saddr, saddr, 16);
	__builtin_memcpy(s->daddr, daddr, 16);
	__builtin_memcpy(s->dmac, nh->dmac, 6);
	__builtin_memcpy(s->smac, nh->smac, 6);
}

#endif /* LB_REPLYCACHE_H */
