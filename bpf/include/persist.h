/* SPDX-License-Identifier: GPL-2.0 */
/*
 * persist.h — persistence (ipvsadm -p [timeout] -M netmask), as IPVS's
 * ip_vs_sched_persist() (net/netfilter/ipvs/ip_vs_core.c).
 *
 * A template is an lb_conns entry with LB_CONN_F_TEMPLATE whose key is
 *   saddr = client address & -M mask (IPv6: first -M bits), sport 0,
 *   daddr = VIP, dport = the service's port (0 for a port-0 service),
 *   proto = 0 (so no packet's 5-tuple can ever equal it), pad = the service's
 *   protocol (TCP and UDP services of one VIP:port keep apart, as IPVS's
 *   <protocol, caddr, 0, vaddr, vport> template key).
 * Its value names the real, and n_control counts the connections created
 * through it (IPVS cp->n_control; each carries LB_CONN_F_CONTROLLED).
 *
 * New connection on a persistent service: the template wins while its real
 * exists, also when that real is quiesced (weight 0): IPVS's default
 * expire_quiescent_template=0. A template whose real was deleted (or whose id
 * was reused) is removed and the client scheduled afresh (ip_vs_check_template).
 * Every new connection through a template restarts its timeout (IPVS's
 * ip_vs_conn_put() on the template). The sweep (gc.h) removes a template once its
 * -p timeout has passed since then, unless it still controls connections: then
 * the timeout starts over, as IPVS's ip_vs_conn_expire() "expire_later".
 */
#ifndef LB_PERSIST_H
#define LB_PERSIST_H

#include "lb_shared.h"
#include "maps.h"
#include "sched.h"

/* The service a connection key belongs to: (VIP, port, proto), else the VIP's
 * port-0 service when it is persistent (ipvsadm allows port 0 only with -p).
 * *svc_port is the port of the service found. */
static __always_inline struct lb_svc *svc_lookup(struct lb_conn_key *k, __be16 *svc_port)
{
	struct lb_svc_key sk = {
		.port = k->dport,
		.proto = k->proto,
		.family = k->family,
	};
	struct lb_svc *svc;

	__builtin_memcpy(sk.addr, k->daddr, 16);
	svc = bpf_map_lookup_elem(&lb_services, &sk);
	if (svc) {
		*svc_port = sk.port;
		return svc;
	}
	sk.port = 0;
	svc = bpf_map_lookup_elem(&lb_services, &sk);
	if (!svc || !(svc->flags & LB_SVC_F_PERSISTENT))
		return 0;
	*svc_port = 0;
	return svc;
}

/* Network-order mask of the first plen bits of word i of an IPv6 address. */
static __always_inline __be32 prefix_word(__u32 plen, int i)
{
	__s32 bits = (__s32)plen - 32 * i;

	if (bits <= 0)
		return 0;
	if (bits >= 32)
		return 0xffffffff;
	return bpf_htonl(~0U << (32 - bits));
}

/* Template key for a connection key on svc (see the top of this file). */
static __always_inline void persist_key(struct lb_conn_key *ck, struct lb_svc *svc, __be16 svc_port,
					struct lb_conn_key *tk)
{
	__builtin_memset(tk, 0, sizeof(*tk));
	__builtin_memcpy(tk->daddr, ck->daddr, 16);
	tk->dport = svc_port;
	tk->proto = 0;
	tk->pad = ck->proto;
	tk->family = ck->family;
	if (ck->family == LB_AF_INET) {
		tk->saddr[0] = ck->saddr[0] & svc->netmask; /* stored in network order */
	} else {
		__u32 plen = bpf_ntohl(svc->netmask);     /* IPv6: prefix length */

		tk->saddr[0] = ck->saddr[0] & prefix_word(plen, 0);
		tk->saddr[1] = ck->saddr[1] & prefix_word(plen, 1);
		tk->saddr[2] = ck->saddr[2] & prefix_word(plen, 2);
		tk->saddr[3] = ck->saddr[3] & prefix_word(plen, 3);
	}
}

/* A connection created through a template went away: the template controls one
 * connection less. */
static __always_inline void persist_release(struct lb_conn_key *ck, struct lb_svc *svc, __be16 svc_port)
{
	struct lb_conn_key tk;
	struct lb_conn *t;

	persist_key(ck, svc, svc_port, &tk);
	t = bpf_map_lookup_elem(&lb_conns, &tk);
	if (t && t->n_control > 0)
		__sync_fetch_and_add(&t->n_control, -1);
}

/* Uses a live template of this client on svc. Returns the real id or -1. */
static __always_inline __s64 persist_use(struct lb_conn *t, struct lb_svc *svc, __u64 now, struct lb_real **out)
{
	struct lb_real *r = conn_real_alive(t);

	if (!r || t->svc_id != svc->id || r->svc_id != svc->id)
		return -1;
	__sync_fetch_and_add(&t->n_control, 1);
	t->last_seen_ns = now;
	lb_count(LB_STAT_PERSIST_HIT);
	*out = r;
	return t->real_id;
}

/* The real for a new connection on a persistent service: the template's, or a
 * scheduled one that a new template then remembers. Returns the id or -1. */
static __always_inline __s64 persist_pick(struct pkt *p, struct lb_svc *svc, __be16 svc_port, __u64 now,
					  struct lb_real **out)
{
	struct lb_conn_key tk;
	struct lb_conn *t;
	struct lb_real *r;
	__s64 rid;

	persist_key(&p->key, svc, svc_port, &tk);
	t = bpf_map_lookup_elem(&lb_conns, &tk);
	if (t) {
		rid = persist_use(t, svc, now, out);
		if (rid >= 0)
			return rid;
		conn_delete(&tk); /* its real is gone: so are its counts */
	}
	rid = sched_pick(p, svc, now, &r);
	if (rid < 0)
		return -1;
	{
		struct lb_conn n = {
			.last_seen_ns = now,
			.real_id = rid,
			.svc_id = svc->id,
			.real_seq = r->seq,
			.state = LB_TCP_NONE,
			.flags = LB_CONN_F_TEMPLATE,
			.fwd = r->fwd,
			.n_control = 1,
		};

		if (conn_table_insert(&tk, &n) == 0) {
			real_conns_add(rid, 0, 0, 1);
		} else {
			/* Another CPU made this client's template first: follow it. */
			t = bpf_map_lookup_elem(&lb_conns, &tk);
			if (t) {
				__s64 other = persist_use(t, svc, now, out);

				if (other >= 0)
					return other;
			}
		}
	}
	*out = r;
	return rid;
}

#endif /* LB_PERSIST_H */
