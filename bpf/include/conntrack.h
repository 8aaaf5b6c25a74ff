/* SPDX-License-Identifier: GPL-2.0 */
/*
 * conntrack.h — connection entries, TCP state and the per-real connection counts.
 *
 * TCP state follows IPVS's tables (net/netfilter/ipvs/ip_vs_proto_tcp.c,
 * tcp_states[]). A DR/TUN director sees only the client's direction and uses the
 * INPUT-ONLY table (IPVS sets IP_VS_CONN_F_NOOUTPUT for every method but MASQ);
 * NAT/FULLNAT see both directions: client packets go through INPUT, replies
 * through OUTPUT (conn_reply_state(), called by the forwarding code).
 *
 *   INPUT-ONLY  sNO  sES  sSS  sSR  sFW  sTW  sCL  sCW  sLA  sLI  sSA
 *   syn         sSR  sES  sES  sSR  sSR  sSR  sSR  sSR  sSR  sSR  sSR
 *   fin         sCL  sFW  sSS  sTW  sFW  sTW  sCL  sCW  sLA  sLI  sTW
 *   ack         sCL  sES  sSS  sES  sFW  sTW  sCL  sCW  sCL  sLI  sES
 *   rst         sCL  sCL  sCL  sSR  sCL  sCL  sCL  sCL  sLA  sLI  sCL
 *   INPUT
 *   syn         sSR  sES  sES  sSR  sSR  sSR  sSR  sSR  sSR  sSR  sSR
 *   fin         sCL  sCW  sSS  sTW  sTW  sTW  sCL  sCW  sLA  sLI  sTW
 *   ack         sES  sES  sSS  sES  sFW  sTW  sCL  sCW  sCL  sLI  sES
 *   rst         sCL  sCL  sCL  sSR  sCL  sCL  sCL  sCL  sLA  sLI  sSR
 *   OUTPUT
 *   syn         sSS  sES  sSS  sSR  sSS  sSS  sSS  sSS  sSS  sLI  sSR
 *   fin         sTW  sFW  sSS  sTW  sFW  sTW  sCL  sTW  sLA  sLI  sTW
 *   ack         sES  sES  sSS  sES  sFW  sTW  sCL  sCW  sLA  sES  sES
 *   rst         sCL  sCL  sSS  sCL  sCL  sTW  sCL  sCL  sCL  sCL  sCL
 *
 * Each row is packed into one 64-bit constant, four bits per current state, so a
 * transition is a shift and a mask: no table map, no lookup. Flag priority is
 * IPVS's tcp_state_idx(): rst, then syn, then fin, then ack; none of them = CLOSE.
 *
 * Counts (lb_real_conns, ipvsadm's ActiveConn/InActConn/PersistConn and the input
 * of lc/wlc/sed/nq/…) follow IPVS: a new connection starts INACTIVE (the dest's
 * conn_flags carry IP_VS_CONN_F_INACTIVE) and is counted inactive; it moves to
 * active when its state becomes ESTABLISHED and back when it leaves it
 * (set_tcp_state()); UDP connections stay inactive; templates count as persist.
 * Every change is an atomic add. Only entries whose real is still the one they
 * were scheduled to (same seq) touch counts: a removed real's counts are zeroed
 * by the control plane when its id is reused.
 *
 * Entry kinds in lb_conns (one LRU hash, see maps.h):
 *  - connection: client 5-tuple → real (flags INACTIVE, CONTROLLED, PAIRED);
 *  - NAT/FULLNAT reverse entry (REVERSE|PAIRED): no counts, removed with its partner;
 *  - persistence template (TEMPLATE, key.proto 0): see persist.h.
 * Expiry: gc.h (a BPF timer sweeping the table every second).
 */
#ifndef LB_CONNTRACK_H
#define LB_CONNTRACK_H

#include "lb_shared.h"
#include "maps.h"
#include "parse.h"
#include "sched.h"

#define ROW(a, b, c, d, e, f, g, h, i, j, k)                                         \
	((__u64)(a) | (__u64)(b) << 4 | (__u64)(c) << 8 | (__u64)(d) << 12 |           \
	 (__u64)(e) << 16 | (__u64)(f) << 20 | (__u64)(g) << 24 | (__u64)(h) << 28 |   \
	 (__u64)(i) << 32 | (__u64)(j) << 36 | (__u64)(k) << 40)

#define sNO LB_TCP_NONE
#define sES LB_TCP_ESTABLISHED
#define sSS LB_TCP_SYN_SENT
#define sSR LB_TCP_SYN_RECV
#define sFW LB_TCP_FIN_WAIT
#define sTW LB_TCP_TIME_WAIT
#define sCL LB_TCP_CLOSE
#define sCW LB_TCP_CLOSE_WAIT
#define sLA LB_TCP_LAST_ACK
#define sLI LB_TCP_LISTEN
#define sSA LB_TCP_SYNACK

#define TCP_IN_SYN ROW(sSR, sES, sES, sSR, sSR, sSR, sSR, sSR, sSR, sSR, sSR)
#define TCP_IN_FIN ROW(sCL, sFW, sSS, sTW, sFW, sTW, sCL, sCW, sLA, sLI, sTW)
#define TCP_IN_ACK ROW(sCL, sES, sSS, sES, sFW, sTW, sCL, sCW, sCL, sLI, sES)
#define TCP_IN_RST ROW(sCL, sCL, sCL, sSR, sCL, sCL, sCL, sCL, sLA, sLI, sCL)

#define TCP_INB_SYN ROW(sSR, sES, sES, sSR, sSR, sSR, sSR, sSR, sSR, sSR, sSR)
#define TCP_INB_FIN ROW(sCL, sCW, sSS, sTW, sTW, sTW, sCL, sCW, sLA, sLI, sTW)
#define TCP_INB_ACK ROW(sES, sES, sSS, sES, sFW, sTW, sCL, sCW, sCL, sLI, sES)
#define TCP_INB_RST ROW(sCL, sCL, sCL, sSR, sCL, sCL, sCL, sCL, sLA, sLI, sSR)

#define TCP_OUT_SYN ROW(sSS, sES, sSS, sSR, sSS, sSS, sSS, sSS, sSS, sLI, sSR)
#define TCP_OUT_FIN ROW(sTW, sFW, sSS, sTW, sFW, sTW, sCL, sTW, sLA, sLI, sTW)
#define TCP_OUT_ACK ROW(sES, sES, sSS, sES, sFW, sTW, sCL, sCW, sLA, sES, sES)
#define TCP_OUT_RST ROW(sCL, sCL, sSS, sCL, sCL, sTW, sCL, sCL, sCL, sCL, sCL)

enum conn_dir {
	CONN_DIR_INPUT_ONLY = 0, /* DR, TUN: client packets, no replies seen */
	CONN_DIR_INPUT = 1,      /* NAT, FULLNAT: client packets */
	CONN_DIR_OUTPUT = 2,     /* NAT, FULLNAT: real server's replies */
};

static __always_inline __u8 tcp_next(__u8 state, __u8 flags, int dir)
{
	__u64 row;
	int idx;

	if (state > LB_TCP_SYNACK)
		state = LB_TCP_NONE;
	if (flags & TCPF_RST)
		idx = 3;
	else if (flags & TCPF_SYN)
		idx = 0;
	else if (flags & TCPF_FIN)
		idx = 1;
	else if (flags & TCPF_ACK)
		idx = 2;
	else
		return LB_TCP_CLOSE;
	if (dir == CONN_DIR_OUTPUT)
		row = idx == 0 ? TCP_OUT_SYN : idx == 1 ? TCP_OUT_FIN : idx == 2 ? TCP_OUT_ACK : TCP_OUT_RST;
	else if (dir == CONN_DIR_INPUT)
		row = idx == 0 ? TCP_INB_SYN : idx == 1 ? TCP_INB_FIN : idx == 2 ? TCP_INB_ACK : TCP_INB_RST;
	else
		row = idx == 0 ? TCP_IN_SYN : idx == 1 ? TCP_IN_FIN : idx == 2 ? TCP_IN_ACK : TCP_IN_RST;
	return (row >> (state * 4)) & 0xf;
}

/* Kept for callers of the first release: the DR/TUN table. */
static __always_inline __u8 tcp_input_only_next(__u8 state, __u8 flags)
{
	return tcp_next(state, flags, CONN_DIR_INPUT_ONLY);
}

/* Which table client packets of a connection forwarded by fwd use. */
static __always_inline int conn_in_dir(__u8 fwd)
{
	return fwd == LB_FWD_NAT || fwd == LB_FWD_FULLNAT ? CONN_DIR_INPUT : CONN_DIR_INPUT_ONLY;
}

/* State after this client packet: TCP by the tables above, UDP the single state. */
static __always_inline __u8 conn_next_state(struct pkt *p, __u8 state, __u8 fwd)
{
	if (p->key.proto != IPPROTO_TCP)
		return LB_UDP_STATE;
	return tcp_next(state, p->tcp_flags, conn_in_dir(fwd));
}

/* Timeout of a connection in this state, seconds (templates: persist.h); tcp,
 * tcpfin and udp are lb_meta's --set values (0 = IPVS's default). */
static __always_inline __u32 conn_state_timeout(__u8 state, __u32 tcp, __u32 tcpfin, __u32 udp)
{
	switch (state) {
	case LB_TCP_NONE: return LB_TO_NONE;
	case LB_TCP_ESTABLISHED: return tcp ? tcp : LB_TO_ESTABLISHED;
	case LB_TCP_SYN_SENT: return LB_TO_SYN_SENT;
	case LB_TCP_SYN_RECV: return LB_TO_SYN_RECV;
	case LB_TCP_FIN_WAIT: return tcpfin ? tcpfin : LB_TO_FIN_WAIT;
	case LB_TCP_TIME_WAIT: return LB_TO_TIME_WAIT;
	case LB_TCP_CLOSE: return LB_TO_CLOSE;
	case LB_TCP_CLOSE_WAIT: return LB_TO_CLOSE_WAIT;
	case LB_TCP_LAST_ACK: return LB_TO_LAST_ACK;
	case LB_TCP_LISTEN: return LB_TO_LISTEN;
	case LB_TCP_SYNACK: return LB_TO_SYNACK;
	case LB_UDP_STATE: return udp ? udp : LB_TO_UDP;
	default: return LB_TO_NONE;
	}
}

static __always_inline struct lb_meta *meta_get(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&lb_meta, &zero);
}

static __always_inline struct lb_gc *gc_state(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&lb_gc, &zero);
}

/* Atomic change of a real's counts. */
static __always_inline void real_conns_add(__u32 real_id, __s64 active, __s64 inactive, __s64 persist)
{
	struct lb_real_conns *rc = bpf_map_lookup_elem(&lb_real_conns, &real_id);

	if (!rc)
		return;
	if (active)
		__sync_fetch_and_add(&rc->active, active);
	if (inactive)
		__sync_fetch_and_add(&rc->inactive, inactive);
	if (persist)
		__sync_fetch_and_add(&rc->persist, persist);
}

/* Real `id` if its slot is in use by the real of that seq (ids are reused, seq only grows). */
static __always_inline struct lb_real *real_alive(__u32 id, __u32 seq)
{
	struct lb_real *r = bpf_map_lookup_elem(&lb_reals, &id);

	if (!r || !(r->flags & LB_REAL_F_USED) || r->seq != seq)
		return 0;
	return r;
}

/* The real an entry was scheduled to, if it still is that real. */
static __always_inline struct lb_real *conn_real_alive(struct lb_conn *c)
{
	return real_alive(c->real_id, c->real_seq);
}

/*
 * Moves a connection to new_state, moving it between its real's active and inactive
 * counts when it enters or leaves ESTABLISHED (IPVS set_tcp_state()). The caller
 * has checked that the real is alive.
 */
static __always_inline void conn_set_state(struct lb_conn *c, __u8 new_state)
{
	int inactive = (c->flags & LB_CONN_F_INACTIVE) != 0;

	if (c->flags & (LB_CONN_F_TEMPLATE | LB_CONN_F_REVERSE)) {
		c->state = new_state;
		return;
	}
	if (!inactive && new_state != LB_TCP_ESTABLISHED) {
		c->flags |= LB_CONN_F_INACTIVE;
		real_conns_add(c->real_id, -1, 1, 0);
	} else if (inactive && new_state == LB_TCP_ESTABLISHED) {
		c->flags &= ~LB_CONN_F_INACTIVE;
		real_conns_add(c->real_id, 1, -1, 0);
	}
	c->state = new_state;
}

/*
 * For the NAT/FULLNAT forwarding code: a reply (real server → client) of the
 * connection whose CLIENT-SIDE entry is c (the non-REVERSE one of the pair, i.e.
 * the entry found through the reverse entry's peer_* key). Runs IPVS's OUTPUT
 * table, keeps the counts, refreshes last_seen. Returns the new state.
 * UDP: call it too (keeps the entry alive); the state stays UDP.
 */
static __always_inline __u8 conn_reply_state(struct lb_conn *c, __u8 tcp_flags, __u8 proto, __u64 now)
{
	__u8 ns = LB_UDP_STATE;

	if (proto == IPPROTO_TCP)
		ns = tcp_next(c->state, tcp_flags, CONN_DIR_OUTPUT);
	if (conn_real_alive(c))
		conn_set_state(c, ns);
	else
		c->state = ns;
	c->last_seen_ns = now;
	return ns;
}

/* Entry bookkeeping shared with the sweep: lb_gc.entries tracks the table's fill
 * between sweeps so a full table is noticed (and counted) at insert time. */
static __always_inline void gc_entries_add(__s64 n)
{
	struct lb_gc *g = gc_state();

	if (g)
		__sync_fetch_and_add(&g->entries, n);
}

/* Deletes an entry; counts the removal when it was still there. Returns 1 if deleted. */
static __always_inline int conn_delete(struct lb_conn_key *k)
{
	if (bpf_map_delete_elem(&lb_conns, k) != 0)
		return 0;
	gc_entries_add(-1);
	return 1;
}

/*
 * Inserts a new entry (BPF_NOEXIST: a CPU that lost a race keeps the winner's).
 * The LRU never refuses an insert: when lb_conns is full it evicts its least
 * recently used entry. That is counted here (LB_STAT_CONN_TABLE_FULL); the evicted
 * entry's packets are then handled as having no connection (TCP non-SYN passed to
 * the kernel, which resets it; a SYN or UDP scheduled afresh) and its real's count
 * is put right by the sweep's recount (gc.h). Returns 0 when inserted.
 */
static __always_inline int conn_table_insert(struct lb_conn_key *k, struct lb_conn *c)
{
	struct lb_meta *m = meta_get();
	struct lb_gc *g = gc_state();
	long rc;
	int full = m && g && m->conn_size && g->entries >= (__s64)m->conn_size;

	rc = bpf_map_update_elem(&lb_conns, k, c, BPF_NOEXIST);
	if (rc != 0)
		return rc;
	if (full)
		lb_count(LB_STAT_CONN_TABLE_FULL); /* one in, one evicted: the fill stays */
	else if (g)
		__sync_fetch_and_add(&g->entries, 1);
	return 0;
}

/* A new connection: counted inactive (IPVS binds with INACTIVE), then its first
 * packet runs through the state table as in IPVS. Both are done before the insert
 * (same flags, state and counts as binding inactive and then moving the entry, but
 * one map operation and one atomic instead of insert + lookup + state change). */
static __always_inline int conn_insert(struct pkt *p, __u32 svc_id, __u32 real_id, struct lb_real *r,
				       __u64 now, __u8 flags)
{
	__u8 ns = conn_next_state(p, LB_TCP_NONE, r->fwd);
	int est = ns == LB_TCP_ESTABLISHED;
	struct lb_conn c = {
		.last_seen_ns = now,
		.real_id = real_id,
		.svc_id = svc_id,
		.real_seq = r->seq,
		.state = ns,
		.flags = flags | (est ? 0 : LB_CONN_F_INACTIVE),
		.fwd = r->fwd,
	};

	if (conn_table_insert(&p->key, &c) != 0)
		return -1;
	real_conns_add(real_id, est, !est, 0);
	return 0;
}

/* Key of the NAT/FULLNAT partner of c, whose own key is k (peer_*; same proto, family). */
static __always_inline void conn_peer_key(struct lb_conn *c, struct lb_conn_key *k, struct lb_conn_key *pk)
{
	pk->sport = c->peer_sport;
	pk->dport = c->peer_dport;
	pk->proto = k->proto;
	pk->family = k->family;
	pk->pad = 0;
	__builtin_memcpy(pk->saddr, c->peer_saddr, 16);
	__builtin_memcpy(pk->daddr, c->peer_daddr, 16);
}

#include "persist.h"

/*
 * The hot path's entry refresh (conntrack hit). Writes the shared entry only when
 * something changed: the state (and with it, maybe, the counts) on a transition,
 * last_seen_ns once per coarse-clock tick. Same result as conn_set_state() plus the
 * store every packet, without dirtying the entry's cache line on every CPU that
 * forwards the flow. For client-side connection entries (not TEMPLATE/REVERSE),
 * whose INACTIVE flag always says state != ESTABLISHED.
 */
static __always_inline void conn_touch(struct lb_conn *c, struct pkt *p, __u64 now)
{
	__u8 ns = conn_next_state(p, c->state, c->fwd);
	int inactive = (c->flags & LB_CONN_F_INACTIVE) != 0;

	if (__builtin_expect(ns != c->state || inactive != (ns != LB_TCP_ESTABLISHED), 0))
		conn_set_state(c, ns);
	if (c->last_seen_ns != now)
		c->last_seen_ns = now;
}

/*
 * Conntrack first, as IPVS's ip_vs_in() (conn_in_get before any service lookup):
 * the entry of this packet's 5-tuple if it is a live client-side connection (its
 * real still the one it was scheduled to, and still a destination of the entry's
 * service), and then its real; else NULL, and the caller goes the full way
 * (service lookup, conn_real()). The entry's key holds the service's VIP, port and
 * protocol, so a live entry whose real belongs to its service is a packet for that
 * service: the service lookup would only confirm it.
 */
static __always_inline struct lb_real *conn_hit(struct lb_conn *c)
{
	struct lb_real *r;

	if (c->flags & (LB_CONN_F_TEMPLATE | LB_CONN_F_REVERSE))
		return 0;
	r = conn_real_alive(c);
	if (!r || r->svc_id != c->svc_id)
		return 0;
	return r;
}

/* Connection of this packet: existing, or a new one scheduled now. svc_port is the
 * matched service's port (0 for a port-0 persistent service). Returns the real id,
 * or a negative lb_stat (negated) saying why there is none. */
static __always_inline __s64 conn_real(struct pkt *p, struct lb_conn *c, struct lb_svc *svc, __be16 svc_port,
				       __u64 now, struct lb_real **out, int *is_new)
{
	struct lb_real *r;
	__s64 rid;

	if (c) {
		r = conn_real_alive(c);
		if (r && c->svc_id == svc->id && !(c->flags & (LB_CONN_F_TEMPLATE | LB_CONN_F_REVERSE))) {
			conn_touch(c, p, now);
			*out = r;
			return c->real_id;
		}
		/*
		 * Its real is gone (or the id now names another real): the entry is dead;
		 * a SYN may start afresh. Its counts went with the real. As IPVS with
		 * expire_nodest_conn=1: the client learns at once (RST from the kernel)
		 * instead of its packets being dropped until the entry times out.
		 */
		__u8 fl = c->flags;
		struct lb_conn_key pk = {};

		if (fl & LB_CONN_F_PAIRED)
			conn_peer_key(c, &p->key, &pk);
		if (fl & LB_CONN_F_CONTROLLED)
			persist_release(&p->key, svc, svc_port);
		if (conn_delete(&p->key) && (fl & LB_CONN_F_PAIRED))
			conn_delete(&pk);
		lb_count(LB_STAT_CONN_RESCHED);
	}
	if (p->key.proto == IPPROTO_TCP &&
	    (!(p->tcp_flags & TCPF_SYN) || (p->tcp_flags & TCPF_RST)))
		return -LB_STAT_PASS_TCP_NO_CONN;
	if (svc->flags & LB_SVC_F_PERSISTENT) {
		rid = persist_pick(p, svc, svc_port, now, &r);
		if (rid < 0)
			return -LB_STAT_DROP_NO_REAL;
		if (conn_insert(p, svc->id, rid, r, now, LB_CONN_F_CONTROLLED) != 0)
			persist_release(&p->key, svc, svc_port); /* another CPU's entry won */
	} else {
		rid = sched_pick(p, svc, now, &r);
		if (rid < 0)
			return -LB_STAT_DROP_NO_REAL;
		conn_insert(p, svc->id, rid, r, now, 0);
	}
	lb_count(LB_STAT_CONN_NEW);
	*is_new = 1;
	*out = r;
	return rid;
}

#endif /* LB_CONNTRACK_H */
