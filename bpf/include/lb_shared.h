/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lb_shared.h — every struct and enum that user space sees.
 *
 * This header is the single source of truth for the layouts shared between the
 * data plane and the TypeScript control plane: `make gen` reads the compiled
 * object's BTF and writes src/bpf/generated/layout.ts from it, and a test fails
 * when that file is stale. Never describe these layouts by hand in TypeScript.
 *
 * Addresses are stored as four big-endian 32-bit words; IPv4 uses word 0 only and
 * leaves the rest zero, so one key type serves both families.
 */
#ifndef LB_SHARED_H
#define LB_SHARED_H

#include <linux/types.h>

/* Bumped whenever a map's key or value layout changes; the pinned lb_meta map
 * records it, so an upgrade never misreads maps written by another layout. */
enum lb_abi {
	LB_ABI_VERSION = 2,
};

enum lb_limits {
	LB_MAX_SERVICES = 4096,
	LB_MAX_REALS = 65536,        /* (service, real) pairs, as IPVS destinations */
	LB_MAX_SLOTS = 1 << 20,      /* scheduler table slots over all services */
	LB_MAX_TABLE = 65536,        /* slots in one service's table (one generation) */
	LB_DEFAULT_CONNS = 1 << 20,  /* connection table entries unless set at attach */
	LB_NH_TTL_MS = 1000,         /* how long a real's cached next hop is trusted */
	LB_STAT_SLOTS = 64,          /* lb_stats size: room for new counters without a layout change */
};

enum lb_family {
	LB_AF_INET = 2,   /* AF_INET */
	LB_AF_INET6 = 10, /* AF_INET6 */
};

/* Forwarding methods. The -Ln names are Route, Tunnel, Masq, FullNat. */
enum lb_fwd {
	LB_FWD_DR = 0,
	LB_FWD_TUN = 1,
	LB_FWD_NAT = 2,
	LB_FWD_FULLNAT = 3,
};

/* Schedulers, one per net/netfilter/ipvs/ip_vs_<name>.c. 0 = none (invalid). */
enum lb_sched {
	LB_SCHED_NONE = 0,
	LB_SCHED_RR = 1,
	LB_SCHED_WRR = 2,
	LB_SCHED_LC = 3,
	LB_SCHED_WLC = 4,
	LB_SCHED_LBLC = 5,
	LB_SCHED_LBLCR = 6,
	LB_SCHED_DH = 7,
	LB_SCHED_SH = 8,
	LB_SCHED_SED = 9,
	LB_SCHED_NQ = 10,
	LB_SCHED_FO = 11,
	LB_SCHED_OVF = 12,
	LB_SCHED_MH = 13,
	LB_SCHED_TWOS = 14,
};

/* Service flags: the same bits as IPVS's IP_VS_SVC_F_* so -S round-trips. */
enum lb_svc_flags {
	LB_SVC_F_PERSISTENT = 0x1,
	LB_SVC_F_ONEPACKET = 0x4,
	LB_SVC_F_SCHED1 = 0x8,  /* sh-fallback / mh-fallback */
	LB_SVC_F_SCHED2 = 0x10, /* sh-port / mh-port */
	LB_SVC_F_SCHED3 = 0x20,
};

enum lb_real_flags {
	LB_REAL_F_USED = 0x1,       /* slot holds a live destination */
	LB_REAL_F_OVERLOAD = 0x2,   /* above its upper threshold (-x) */
};

/* TCP states, in IPVS's order (IP_VS_TCP_S_*), so names index the same way. */
enum lb_tcp_state {
	LB_TCP_NONE = 0,
	LB_TCP_ESTABLISHED = 1,
	LB_TCP_SYN_SENT = 2,
	LB_TCP_SYN_RECV = 3,
	LB_TCP_FIN_WAIT = 4,
	LB_TCP_TIME_WAIT = 5,
	LB_TCP_CLOSE = 6,
	LB_TCP_CLOSE_WAIT = 7,
	LB_TCP_LAST_ACK = 8,
	LB_TCP_LISTEN = 9,
	LB_TCP_SYNACK = 10,
	LB_UDP_STATE = 11,
};

/*
 * Global counters, one per-CPU slot each: what happened to every packet that
 * reached the program. Every return path of the program bumps exactly one
 * PASS_/DROP_/TX/REDIRECT counter, so those add up to the packets seen; the
 * CONN_ counters are events on top.
 */
enum lb_stat {
	LB_STAT_PASS_NOT_IP = 0,          /* not IPv4/IPv6: kernel's business */
	LB_STAT_PASS_MALFORMED_L3,    /* could not parse far enough to tell: kernel validates */
	LB_STAT_PASS_NOT_VIP,         /* no virtual service matched */
	LB_STAT_PASS_FRAGMENT,        /* IPv4 fragment or IPv6 fragment header */
	LB_STAT_PASS_IPV6_EXT,        /* IPv6 extension headers before L4 */
	LB_STAT_PASS_OTHER_PROTO,     /* not TCP/UDP */
	LB_STAT_PASS_TCP_NO_CONN,     /* TCP non-SYN without a connection, as IPVS */
	LB_STAT_DROP_MALFORMED,       /* to a VIP but bad IPv4 checksum or bad L4 header */
	LB_STAT_DROP_NO_REAL,         /* service has no available destination */
	LB_STAT_DROP_NO_NEIGH,        /* next hop of the real not resolved yet */
	LB_STAT_DROP_FIB,             /* no route to the real */
	LB_STAT_DROP_FWD_DISABLED,    /* forwarding off on the receiving interface */
	LB_STAT_DROP_UNSUPPORTED,     /* forwarding method not built into this program */
	LB_STAT_TX,                   /* forwarded back out the receiving interface */
	LB_STAT_REDIRECT,             /* forwarded out another interface */
	LB_STAT_CONN_NEW,             /* connections scheduled */
	LB_STAT_CONN_RESCHED,         /* entry pointed at a removed real: rescheduled */
	LB_STAT__MAX,
};

/* services map: (VIP, port, protocol) -> service */
struct lb_svc_key {
	__be32 addr[4];
	__be16 port;
	__u8 proto;  /* IPPROTO_TCP / IPPROTO_UDP */
	__u8 family; /* enum lb_family */
};

struct lb_svc {
	__u32 id;        /* index into svc_state, svc_stats; owner of table slots */
	__u32 flags;     /* enum lb_svc_flags */
	__u32 timeout;   /* persistence timeout, seconds */
	__be32 netmask;  /* persistence mask (IPv4) or prefix length (IPv6) */
	__u8 sched;      /* enum lb_sched */
	__u8 gen;        /* live half of the slot table: 0 or 1 */
	__u16 pad;
	__u32 table_len; /* slots in the live half */
};

/* svc_state: per service, shared between CPUs so round-robin is one sequence. */
struct lb_svc_state {
	__u64 cursor; /* next position in the table sequence (rr, wrr) */
};

/* reals map: destination id -> destination */
struct lb_real {
	__be32 addr[4];
	__be16 port;
	__u8 family;  /* enum lb_family */
	__u8 fwd;     /* enum lb_fwd */
	__u32 svc_id;
	__u32 weight; /* 0 = quiesced: keeps its connections, gets no new ones */
	__u32 flags;  /* enum lb_real_flags */
	__u32 u_threshold;
	__u32 l_threshold;
	__u32 seq;    /* insertion order, so the destination list order is kept in maps */
};

/* slots map: (service, generation<<31 | index) -> destination id */
struct lb_slot_key {
	__u32 svc_id;
	__u32 slot;
};

/* conntrack map: client-side 5-tuple -> connection */
struct lb_conn_key {
	__be32 saddr[4];
	__be32 daddr[4];
	__be16 sport;
	__be16 dport;
	__u8 proto;
	__u8 family;
	__u16 pad;
};

enum lb_conn_flags {
	LB_CONN_F_INACTIVE = 0x1, /* counted in its real's inactive count (not ESTABLISHED) */
	LB_CONN_F_TEMPLATE = 0x2, /* persistence template (protocol "IP" in -Lnc) */
	LB_CONN_F_REVERSE = 0x4,  /* NAT/FULLNAT reply-direction entry (real -> client) */
	LB_CONN_F_PAIRED = 0x8,   /* has a partner entry: peer_* is the partner's key */
};

struct lb_conn {
	__u64 last_seen_ns; /* bpf_ktime_get_coarse_ns() of the last packet */
	__u32 real_id;
	__u32 svc_id;
	__u32 real_seq;     /* the real's seq at scheduling: a reused id is not this real */
	__u8 state;         /* enum lb_tcp_state */
	__u8 flags;         /* enum lb_conn_flags */
	__u8 fwd;           /* enum lb_fwd chosen at scheduling */
	__u8 pad;
	/*
	 * NAT/FULLNAT pair (LB_CONN_F_PAIRED): the key of the partner entry, same
	 * protocol and family. The client-side entry holds the tuple the real server
	 * sees (CIP or LIP:lport -> RIP:rport), the reverse entry holds the client's
	 * tuple (CIP:cport -> VIP:vport). Removing one removes the other.
	 */
	__be32 peer_saddr[4];
	__be32 peer_daddr[4];
	__be16 peer_sport;
	__be16 peer_dport;
	__u32 pad2;
};

/* lb_real_conns: per destination, shared between CPUs, changed atomically. These are
 * ipvsadm's ActiveConn / InActConn / PersistConn and the connection schedulers' input. */
struct lb_real_conns {
	__s64 active;
	__s64 inactive;
	__s64 persist;
};

/* Per-CPU next hop of a real, refreshed from bpf_fib_lookup every LB_NH_TTL_MS. */
struct lb_nexthop {
	__u64 checked_ns;
	__u32 ifindex;
	__u32 real_seq;     /* the real's seq when cached: a reused id never inherits it */
	__u8 dmac[6];
	__u8 smac[6];
};

/* svc_stats / real_stats, per CPU: IPVS's ip_vs_stats counters. */
struct lb_counters {
	__u64 conns;
	__u64 inpkts;
	__u64 outpkts;
	__u64 inbytes;
	__u64 outbytes;
};

/* lb_meta: one entry describing the maps' layout and the global settings. */
struct lb_meta {
	__u32 abi_version;  /* LB_ABI_VERSION of the program that created the maps */
	__u32 conn_size;    /* connection table entries (ipvsadm's "size=") */
	__u32 tcp_timeout;  /* --set tcp, seconds */
	__u32 tcpfin_timeout;
	__u32 udp_timeout;
	__u32 pad;
};

/*
 * Anchor so every enum above is emitted into BTF even when the program does not
 * use it directly; `make gen` reads them from there.
 */
struct lb_btf_anchor {
	enum lb_abi abi;
	enum lb_limits limits;
	enum lb_family family;
	enum lb_fwd fwd;
	enum lb_sched sched;
	enum lb_svc_flags svc_flags;
	enum lb_real_flags real_flags;
	enum lb_tcp_state tcp_state;
	enum lb_stat stat;
	enum lb_conn_flags conn_flags;
};

/* ---- schedulers (issue #4): add scheduler structs below this line ---- */

/* ---- connection state, timeouts, persistence (issue #4): below this line ---- */

/* ---- forwarding methods TUN/NAT/FULLNAT, ICMP (issue #3): below this line ---- */

#endif /* LB_SHARED_H */
