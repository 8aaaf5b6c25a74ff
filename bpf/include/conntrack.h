/* SPDX-License-Identifier: GPL-2.0 */
/*
 * conntrack.h — connection entries and TCP state.
 *
 * The director of DR/TUN sees only the client's direction, so TCP state follows
 * IPVS's INPUT-ONLY table (net/netfilter/ipvs/ip_vs_proto_tcp.c, tcp_states[]):
 *
 *          sNO  sES  sSS  sSR  sFW  sTW  sCL  sCW  sLA  sLI  sSA
 *   syn    sSR  sES  sES  sSR  sSR  sSR  sSR  sSR  sSR  sSR  sSR
 *   fin    sCL  sFW  sSS  sTW  sFW  sTW  sCL  sCW  sLA  sLI  sTW
 *   ack    sCL  sES  sSS  sES  sFW  sTW  sCL  sCW  sCL  sLI  sES
 *   rst    sCL  sCL  sCL  sSR  sCL  sCL  sCL  sCL  sLA  sLI  sCL
 *
 * Each row is packed into one 64-bit constant, four bits per current state, so a
 * transition is a shift and a mask: no table map, no lookup. Flag priority is
 * IPVS's tcp_state_idx(): rst, then syn, then fin, then ack; none of them = CLOSE.
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

static __always_inline __u8 tcp_input_only_next(__u8 state, __u8 flags)
{
	__u64 row;

	if (state > LB_TCP_SYNACK)
		state = LB_TCP_NONE;
	if (flags & TCPF_RST)
		row = TCP_IN_RST;
	else if (flags & TCPF_SYN)
		row = TCP_IN_SYN;
	else if (flags & TCPF_FIN)
		row = TCP_IN_FIN;
	else if (flags & TCPF_ACK)
		row = TCP_IN_ACK;
	else
		return LB_TCP_CLOSE;
	return (row >> (state * 4)) & 0xf;
}

/* State after this packet, for TCP by the table above, for UDP the single state. */
static __always_inline __u8 conn_next_state(struct pkt *p, __u8 state)
{
	if (p->key.proto != IPPROTO_TCP)
		return LB_UDP_STATE;
	return tcp_input_only_next(state, p->tcp_flags);
}

static __always_inline int conn_insert(struct pkt *p, __u32 svc_id, __u32 real_id,
				       __u32 real_seq, __u64 now)
{
	struct lb_conn c = {
		.last_seen_ns = now,
		.real_id = real_id,
		.svc_id = svc_id,
		/* IPVS creates the entry in NONE and runs the first packet through the table */
		.state = conn_next_state(p, LB_TCP_NONE),
		.real_seq = real_seq,
	};

	return bpf_map_update_elem(&lb_conns, &p->key, &c, BPF_ANY);
}

/* Connection of this packet: existing, or a new one scheduled now. Returns the
 * real id, or a negative lb_stat (negated) saying why there is none. */
static __always_inline __s64 conn_real(struct pkt *p, struct lb_svc *svc, __u64 now,
				       struct lb_real **out, int *is_new)
{
	struct lb_conn *c = bpf_map_lookup_elem(&lb_conns, &p->key);
	struct lb_real *r;
	__s64 rid;

	if (c) {
		r = bpf_map_lookup_elem(&lb_reals, &c->real_id);
		if (r && (r->flags & LB_REAL_F_USED) && r->seq == c->real_seq &&
		    c->svc_id == svc->id) {
			c->state = conn_next_state(p, c->state);
			c->last_seen_ns = now;
			*out = r;
			return c->real_id;
		}
		/* Its real is gone: the entry is dead; a SYN may start afresh. */
		bpf_map_delete_elem(&lb_conns, &p->key);
		lb_count(LB_STAT_CONN_RESCHED);
	}
	if (p->key.proto == IPPROTO_TCP &&
	    (!(p->tcp_flags & TCPF_SYN) || (p->tcp_flags & TCPF_RST)))
		return -LB_STAT_PASS_TCP_NO_CONN;
	rid = sched_pick(svc, &r);
	if (rid < 0)
		return -LB_STAT_DROP_NO_REAL;
	conn_insert(p, svc->id, rid, r->seq, now);
	lb_count(LB_STAT_CONN_NEW);
	*is_new = 1;
	*out = r;
	return rid;
}

#endif /* LB_CONNTRACK_H */
