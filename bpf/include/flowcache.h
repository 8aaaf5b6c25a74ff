/* SPDX-License-Identifier: GPL-2.0 */
/*
 * flowcache.h — a per-CPU, two-way set-associative cache in front of lb_conns for
 * the hot path.
 *
 * Why: on a conntrack hit, the lb_conns lookup (an LRU hash with a 40-byte key:
 * jhash, bucket walk, memcmp) costs more than all the rest of the program together
 * (perf, bench/profile-hit.sh). A slot found by a hash computed here (flow_hash,
 * cache_slot) and checked by comparing the whole key costs a few loads.
 *
 * Layout, for forwarding under load, where the caches are shared with the rest of
 * the packet's path (bench/optimisations.md, round 4):
 *  - one plain array (not a per-CPU map), CPU c owning entries [c × LB_FLOW_SLOTS,
 *    (c + 1) × LB_FLOW_SLOTS): a per-CPU array finds each slot through a table of
 *    per-CPU pointers, one more cache line per packet. The control plane sizes it
 *    for the machine's possible CPUs at load (src/bpf/object.ts); a CPU beyond the
 *    size finds no slot and takes the full path;
 *  - a slot is one 64-byte cache line, and BPF_F_MMAPABLE makes the array's values
 *    start on a page boundary, so no slot straddles two lines;
 *  - two ways: a flow may sit in slot i or its neighbour i ^ 1. Direct-mapped, the
 *    bench's 256 flows left ~9 pairs sharing a slot and evicting each other on every
 *    packet: 7 % of the packets took the full path for nothing.
 *
 * What may be answered from a slot, and why it is the same answer lb_conns gives:
 *  - only client-side entries that conn_hit() accepted, whose real forwards by DR,
 *    TUN, or NAT once the entry has its reverse entry (what fwd_nat() would check);
 *    FULLNAT needs the entry's local address and port, so it always goes the full way;
 *  - only within LB_FLOW_JIFFIES jiffies (bpf_jiffies64, inlined by the verifier) of
 *    the last time this CPU went the full way for the flow: 16 ms at HZ=250, 4 ms at
 *    HZ=1000. The full way refreshes the entry (last_seen_ns, the coarse clock), so a
 *    busy flow's entry is refreshed at least that often instead of every tick: its
 *    idle timeout (seconds at least) counts from up to LB_FLOW_JIFFIES earlier. An
 *    entry the sweep, the LRU or the control plane removed is not served for longer
 *    than that after it was last found alive. One jiffy was the first bound; at ~2M
 *    packets a second over 256 flows it sent 3 % of the packets the full way, 4
 *    jiffies 0.8 %, and the full way is the costliest part of a live run
 *    (bench/optimisations.md, round 4);
 *  - only packets that cannot change the connection's state: UDP, and TCP with ACK
 *    and none of SYN/FIN/RST, for a slot filled by a packet of the same kind that
 *    left the state as it was (ESTABLISHED + ACK = ESTABLISHED in IPVS's tables).
 *    Another CPU may move the state within that window (a FIN taken on another
 *    queue); an ACK answered here then skips one transition the entry would have
 *    made (LAST_ACK + ACK = CLOSE): the entry keeps the longer timeout of the state
 *    it is in. The same race exists in IPVS between CPUs, without the bound;
 *  - the real is checked on every packet as conn_hit() does (slot in use, same seq,
 *    same service), so a removed or replaced real is never sent to;
 *  - it is probed before the NAT reply hook (lb.bpf.c): a slot is filled only by a
 *    packet the hook did not take, so within the window the hook would not take the
 *    next one either, unless a reverse entry for this very tuple appeared meanwhile.
 * Counters (service, real, global) are counted exactly as on the full path.
 * Colliding flows evict each other and take the full path: slower, never wrong.
 */
#ifndef LB_FLOWCACHE_H
#define LB_FLOWCACHE_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "lb_shared.h"
#include "parse.h"
#include "conntrack.h"

/*
 * The start of every slot of this header's caches (flow_slot here, reply_slot in
 * replycache.h): the key it answers for and the jiffy it was filled, so one set of
 * helpers finds and replaces slots in either. The jiffy is kept modulo 2^32 — a slot
 * left untouched for a multiple of 2^32 jiffies (198 days at HZ=250) would look
 * current for LB_FLOW_JIFFIES; what each cache checks on every packet still holds.
 */
struct slot_head {
	struct lb_conn_key key;
	__u32 jiffies; /* bpf_jiffies64() when this CPU last took the full path */
};

/*
 * Not lb_*: BPF-private, so not in the generated TypeScript layouts (src/bpf/gen).
 * Sized to one cache line: svc_id fits 16 bits (LB_MAX_SERVICES); its real is
 * checked on every packet, so at worst a flow idle for 2^32 jiffies reaches the real
 * it had.
 */
struct flow_slot {
	struct slot_head h;
	__u32 real_id;
	__u32 real_seq;
	__u16 svc_id;
	__u8 paired;   /* NAT: the entry had its reverse entry (fwd_nat.h nat_conn) */
	__u8 pad;
	__u64 now_ns;  /* bpf_ktime_get_coarse_ns() then: the forwarding step's clock */
};

/* How long a slot answers after the full path filled it (see above). The forwarding
 * step's clock is then up to this old: nexthop.h's TTLs take that (nh_fresh). */
#define LB_FLOW_JIFFIES 4

/* Not pinned: a new program starts with an empty cache. max_entries is set at load
 * to LB_FLOW_SLOTS × the possible CPUs; this default serves CPU 0 only. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, LB_FLOW_SLOTS);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct flow_slot);
} lb_flow_cache SEC(".maps");

_Static_assert(sizeof(struct lb_conn_key) == 40, "flow_key_eq compares five 8-byte words");
_Static_assert(sizeof(struct flow_slot) == 64, "a slot is one cache line");
_Static_assert(LB_MAX_SERVICES <= 65536, "flow_slot.svc_id is 16 bits");
_Static_assert((LB_FLOW_SLOTS & (LB_FLOW_SLOTS - 1)) == 0, "LB_FLOW_SLOTS is a power of two");
_Static_assert(LB_FLOW_SLOTS <= 65536 && LB_REPLY_SLOTS <= 65536, "pkt.flow_hash keeps 16 bits of the hash");

/* A packet that cannot change its connection's state (see above). */
static __always_inline int flow_neutral(const struct pkt *p)
{
	if (p->key.proto != IPPROTO_TCP)
		return 1;
	return (p->tcp_flags & (TCPF_SYN | TCPF_FIN | TCPF_RST | TCPF_ACK)) == TCPF_ACK;
}

static __always_inline __u32 rotl32(__u32 x, int r)
{
	return (x << r) | (x >> (32 - r));
}

/*
 * The key's hash, from which each cache takes this CPU's first way (the second is
 * its index ^ 1: cache_slot). The fields folded into one word (rotated so that a
 * change in one field cannot cancel one in another), then murmur3's fmix32, so every
 * bit reaches the slot index. Multiplying alone is not enough: a product's low bits
 * never see its factors' high bits, and a port stepping in its low byte sits in the
 * high byte of the big-endian word (256 flows of the bench fell into 32 slots that way).
 */
static __always_inline __u32 flow_hash(const struct lb_conn_key *k)
{
	__u32 h;

	h = k->saddr[0] ^ k->saddr[1] ^ k->saddr[2] ^ k->saddr[3];
	h ^= rotl32(k->daddr[0] ^ k->daddr[1] ^ k->daddr[2] ^ k->daddr[3], 11);
	h ^= rotl32((__u32)k->sport << 16 | k->dport, 23) ^ k->proto;
	h ^= h >> 16;
	h *= 0x85ebca6b;
	h ^= h >> 13;
	h *= 0xc2b2ae35;
	h ^= h >> 16;
	return h;
}

/* This CPU's first way for hash h in a cache of `slots` entries per CPU (a power of two). */
static __always_inline __u32 cache_slot(__u32 h, __u32 slots)
{
	return bpf_get_smp_processor_id() * slots + (h & (slots - 1));
}

static __always_inline int flow_key_eq(const struct lb_conn_key *a, const struct lb_conn_key *b)
{
	const __u64 *x = (const __u64 *)a, *y = (const __u64 *)b;

	return ((x[0] ^ y[0]) | (x[1] ^ y[1]) | (x[2] ^ y[2]) | (x[3] ^ y[3]) | (x[4] ^ y[4])) == 0;
}

/* A slot filled within the last LB_FLOW_JIFFIES (unsigned: right across a wrap). */
static __always_inline int flow_live(const struct slot_head *s, __u32 jiffy)
{
	return jiffy - s->jiffies < LB_FLOW_JIFFIES;
}

/* Slot i of cache map if it holds this key and is live. */
static __always_inline void *cache_way(void *map, __u32 i, const struct lb_conn_key *k, __u32 jiffy)
{
	struct slot_head *s = bpf_map_lookup_elem(map, &i);

	return s && flow_live(s, jiffy) && flow_key_eq(&s->key, k) ? s : 0;
}

/* The slot of cache map answering for k now (way i or i ^ 1), or NULL. */
static __always_inline void *cache_find(void *map, __u32 i, const struct lb_conn_key *k, __u32 jiffy)
{
	void *s = cache_way(map, i, k, jiffy);

	return s ? s : cache_way(map, i ^ 1, k, jiffy);
}

/*
 * The slot of cache map to fill for k: the first way, unless it serves another live
 * flow; then the second, unless that one does too: three live flows in one set, the
 * first is replaced. Stamps it (key, jiffy); the caller writes the rest.
 */
static __always_inline void *cache_claim(void *map, __u32 i, const struct lb_conn_key *k, __u32 jiffy)
{
	struct slot_head *s = bpf_map_lookup_elem(map, &i), *o;

	if (!s)
		return 0;
	if (flow_live(s, jiffy) && !flow_key_eq(&s->key, k)) {
		i ^= 1;
		o = bpf_map_lookup_elem(map, &i);
		if (o && (!flow_live(o, jiffy) || flow_key_eq(&o->key, k)))
			s = o;
	}
	s->key = *k;
	s->jiffies = jiffy;
	return s;
}

/* p->flow_hash: computed once per packet, for both caches' probes and fills. */
static __always_inline void flow_hash_set(struct pkt *p)
{
	p->flow_hash = flow_neutral(p) ? (__u16)flow_hash(&p->key) : 0;
}

/* The slot answering this packet now, or NULL: take the full path. */
static __always_inline struct flow_slot *flow_cached(const struct pkt *p)
{
	if (!flow_neutral(p))
		return 0;
	return cache_find(&lb_flow_cache, cache_slot(p->flow_hash, LB_FLOW_SLOTS), &p->key, bpf_jiffies64());
}

/* The slot's real if it is still the one scheduled (conn_hit's checks), else NULL. */
static __always_inline struct lb_real *flow_real(const struct flow_slot *s)
{
	struct lb_real *r = real_alive(s->real_id, s->real_seq);

	return r && r->svc_id == s->svc_id ? r : 0;
}

/*
 * After the full path forwarded a conntrack hit: remember the flow when the next
 * packets of the same kind may skip it. state_before is the entry's state before
 * this packet; c is the entry after conn_touch().
 */
static __always_inline void flow_fill(const struct pkt *p, const struct lb_conn *c, const struct lb_real *r,
				      __u8 state_before, __u64 now)
{
	struct flow_slot *s;

	if (!flow_neutral(p) || c->state != state_before)
		return;
	/* FULLNAT needs the entry's local address and port: always the full path. */
	if (r->fwd != LB_FWD_DR && r->fwd != LB_FWD_TUN &&
	    !(r->fwd == LB_FWD_NAT && (c->flags & LB_CONN_F_PAIRED)))
		return;
	s = cache_claim(&lb_flow_cache, cache_slot(p->flow_hash, LB_FLOW_SLOTS), &p->key, bpf_jiffies64());
	if (!s)
		return;
	s->real_id = c->real_id;
	s->real_seq = c->real_seq;
	s->svc_id = c->svc_id;
	s->paired = (c->flags & LB_CONN_F_PAIRED) != 0;
	s->now_ns = now;
}

#endif /* LB_FLOWCACHE_H */
