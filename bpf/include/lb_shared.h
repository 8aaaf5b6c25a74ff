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
	LB_FLOW_SLOTS = 4096,        /* flow cache slots per CPU (flowcache.h); a power of two */
	LB_REPLY_SLOTS = 4096,       /* NAT reply cache slots per CPU (replycache.h); a power of two */
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
 * PASS_/DROP_/TX/REDIRECT counter, so those add up to the packets seen; all the
 * others (CONN_, REPLY_, ICMP_, PERSIST_HIT, ...) are events on top (the TS side's
 * rule: src/bpf/stat-names.ts isVerdict; every counted test run checks it).
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
	LB_STAT_CONN_EXPIRED,          /* entries removed on timeout by the expiry sweep (issue #4) */
	LB_STAT_CONN_TABLE_FULL,       /* new entry while lb_conns was full: the LRU evicted one (issue #4) */
	LB_STAT_CONN_RECOUNT,          /* per-real counts corrected by the sweep's recount (issue #4) */
	LB_STAT_PERSIST_HIT,           /* new connection sent to its persistence template's real (issue #4) */
	LB_STAT_REPLY_NAT,             /* NAT/FULLNAT reply translated to VIP:vport (event; issue #3) */
	LB_STAT_REPLY_STALE,           /* reverse entry whose partner is gone: removed (event; issue #3) */
	LB_STAT_PASS_REPLY_TTL,        /* NAT/FULLNAT reply with TTL/hop limit <= 1: kernel answers (issue #3) */
	LB_STAT_PASS_TOO_BIG,          /* NAT reply too big for the client side: kernel answers the real (issue #3) */
	LB_STAT_DROP_TOO_BIG,          /* too big for the egress MTU, IPv4 without DF: XDP cannot fragment (issue #3) */
	LB_STAT_ICMP_TOO_BIG,          /* frag-needed / packet-too-big sent back by the program (issue #3) */
	LB_STAT_ICMP_FWD,              /* ICMP error of a tracked connection translated and forwarded (event; issue #3) */
	LB_STAT_DROP_NO_LADDR,         /* FULLNAT service without local addresses (-P) (issue #3) */
	LB_STAT_DROP_NO_LPORT,         /* FULLNAT: no free local port among the tries (issue #3) */
	LB_STAT_LPORT_CONFLICT,        /* FULLNAT: a candidate LIP:lport was in use, tried another (event; issue #3) */
	LB_STAT_DROP_XDP_ADJUST,       /* bpf_xdp_adjust_head/tail refused (no headroom) (issue #3) */
	LB_STAT_IPV4_OPTIONS,          /* balanced IPv4 packet carried IP options, kept as they are (event; issue #3) */
	LB_STAT_ICMP_UNREACH,          /* port unreachable sent back: no real server available, as IPVS's ip_vs_leave() */
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
	LB_CONN_F_CONTROLLED = 0x10, /* created through a persistence template (holds one of its n_control) */
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
	__u32 n_control;     /* templates: connections it controls (IPVS cp->n_control); 0 otherwise */
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
	__u32 mtu;          /* egress device's MTU then; 0 = not known (entries of an older build) */
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
	__u32 next_seq;     /* next lb_real.seq: only grows, so a reused real id is never the same real */
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

enum lb_sched_limits {
	LB_MAX_SVC_DESTS = 64,      /* destinations of one service: the schedulers' bounded loop */
	LB_HASH_TAB_SIZE = 256,     /* IP_VS_SH_TAB_SIZE = IP_VS_DH_TAB_SIZE (ip_vs_sh.c, ip_vs_dh.c) */
	LB_MH_TAB_SIZE = 4093,      /* IP_VS_MH_TAB_SIZE, CONFIG_IP_VS_MH_TAB_INDEX=12 (ip_vs_mh.c) */
	LB_LBLC_ENTRIES = 65536,    /* lblc/lblcr cache entries over all services (LRU) */
	LB_LBLCR_SET_MAX = 8,       /* destinations one lblcr server set may hold */
	LB_LBLC_EXPIRE_S = 86400,   /* DEFAULT_EXPIRATION of lblc/lblcr: 24 hours */
};

/*
 * lb_svc_dests: (svc_id * 2 + generation) -> the service's destinations in IPVS
 * list order (newest first). Written by the control plane into the idle
 * generation before the service entry switches, as the slot tables are.
 */
struct lb_svc_dests {
	__u32 count;
	__u32 pad;
	__u32 ids[LB_MAX_SVC_DESTS];
	__u32 last_weight[LB_MAX_SVC_DESTS]; /* IPVS dest->last_weight: latest non-zero weight (mh) */
};

/* lb_real_load: the data plane's own scheduling state of a destination (written
 * only by the program): the -x/-y overload flag with the hysteresis of IPVS. */
struct lb_real_load {
	__u32 seq;          /* the real's seq this state belongs to */
	__u32 overload;     /* IP_VS_DEST_F_OVERLOAD */
	__u32 u_threshold;  /* thresholds this state was computed with */
	__u32 l_threshold;
};

/* lb_lblc: (service, packet destination address) -> lblc server / lblcr server set */
struct lb_lblc_key {
	__be32 daddr[4];
	__u32 svc_id;
	__u32 family;
};

struct lb_lblc_entry {
	__u64 lastuse_ns;   /* bpf_ktime_get_coarse_ns() of the last lookup */
	__u64 lastmod_ns;   /* lblcr: last change of the set */
	__u32 count;        /* destinations in ids (lblc: 1) */
	__u32 pad;
	__u32 ids[LB_LBLCR_SET_MAX];  /* newest first, as IPVS's list_add_rcu */
	__u32 seqs[LB_LBLCR_SET_MAX]; /* each real's seq: a reused id is not the cached real */
};

/* Carries the scheduler enums into BTF for `make gen` (never read). */
struct lb_sched_anchor {
	enum lb_sched_limits limits;
};

/* ---- connection state, timeouts, persistence (issue #4): below this line ---- */

/*
 * Timeouts in seconds, IPVS's defaults (ip_vs_proto_tcp.c tcp_timeouts[],
 * ip_vs_proto_udp.c udp_timeouts[], IP_VS_SVC_PERSISTENT_TIMEOUT). --set changes
 * ESTABLISHED (tcp), FIN_WAIT (tcpfin) and UDP (udp) through lb_meta; the others
 * are fixed, as in IPVS.
 */
enum lb_conn_timeout {
	LB_TO_NONE = 2,
	LB_TO_ESTABLISHED = 900,
	LB_TO_SYN_SENT = 120,
	LB_TO_SYN_RECV = 60,
	LB_TO_FIN_WAIT = 120,
	LB_TO_TIME_WAIT = 120,
	LB_TO_CLOSE = 10,
	LB_TO_CLOSE_WAIT = 60,
	LB_TO_LAST_ACK = 30,
	LB_TO_LISTEN = 120,
	LB_TO_SYNACK = 120,
	LB_TO_UDP = 300,
	LB_TO_PERSIST = 360,       /* bare -p */
	LB_GC_PERIOD_MS = 1000,    /* expiry sweep period unless lb_gc.period_ms says otherwise */
	LB_GC_BUDGET_PCT = 1,      /* the sweep's share of a CPU: a long walk waits longer (gc.h) */
	LB_GC_MAX_WAIT_MS = 30000, /* ... but never longer than this */
};

/*
 * lb_gc: the expiry sweep (bpf/include/gc.h), one entry. A BPF timer armed at
 * attach walks lb_conns every period_ms, removes what has timed out, keeps the
 * per-real counts and reports here. User space only reads it (and tests pause it).
 */
struct lb_gc {
	__u64 runs;          /* sweeps done */
	__u64 last_start_ns; /* clock (CLOCK_MONOTONIC_COARSE) at the last sweep's start */
	__u64 last_cost_ns;  /* how long the last sweep took */
	__u64 last_scanned;  /* entries it visited */
	__u64 last_expired;  /* entries it removed */
	__s64 entries;       /* entries in lb_conns: set by each sweep, +1/-1 by inserts/removals between */
	__u32 period_ms;     /* 0 = LB_GC_PERIOD_MS */
	__u32 paused;        /* non-zero: the timer keeps ticking but does not sweep (tests) */
	__u32 max_real;      /* highest destination id the recount covers */
	__u32 next_ms;       /* the wait the timer was last armed with (gc.h gc_next_ms) */
};

/* lb_gc_real: per destination, the sweep's recount and the difference found by the
 * previous sweep; a difference seen twice in a row is corrected (gc.h). */
struct lb_gc_real {
	__s64 active;
	__s64 inactive;
	__s64 persist;
	__s64 diff_active;
	__s64 diff_inactive;
	__s64 diff_persist;
};

/* ---- forwarding methods TUN/NAT/FULLNAT, ICMP (issue #3): below this line ---- */

enum lb_fwd_limits {
	LB_MAX_LADDRS = 16,     /* FULLNAT local addresses (LIPs) per service */
	LB_LPORT_MIN = 1024,    /* FULLNAT local ports are drawn from [LB_LPORT_MIN, 65535] */
	LB_LPORT_TRIES = 16,    /* random (LIP, lport) candidates tried for one new connection */
	LB_FIB_CACHE = 65536,   /* cached next hops towards clients (replies, ICMP) */
};

enum lb_fwd_conf_flags {
	LB_FWD_CONF_REPLIES = 0x1, /* a real uses NAT or FULLNAT: look packets up as replies first */
};

/* lb_fwd_conf: one entry, switches of the forwarding paths (written by the control plane). */
struct lb_fwd_conf {
	__u32 flags; /* enum lb_fwd_conf_flags */
	__u32 pad;
};

/*
 * lb_laddrs: per service (index = service id), the FULLNAT local addresses given
 * with -P … -z LIP, in the order they were added; addr holds LB_MAX_LADDRS
 * addresses of four words each (IPv4: word 0 only, as everywhere).
 */
struct lb_laddr_set {
	__u32 count;
	__u32 pad;
	__be32 addr[LB_MAX_LADDRS * 4];
};

/* lb_laddr_stats (per CPU, index = service id * LB_MAX_LADDRS + LIP index). */
struct lb_laddr_counters {
	__u64 conflicts; /* candidate LIP:lport pairs found in use (DPVS's CONFLICTS) */
	__u64 conns;     /* connections given this LIP */
};

/* Per-CPU cache of the director's source address towards a TUN real
 * (bpf_fib_lookup with BPF_FIB_LOOKUP_SRC), index = real id. */
struct lb_tun_src {
	__u64 checked_ns;
	__u32 real_seq;
	__u32 pad;
	__be32 saddr[4];
};

/* lb_fib_cache (per-CPU LRU): next hop towards a client address. */
struct lb_fib_key {
	__be32 addr[4];
	__u32 family;
};

struct lb_fib_entry {
	__u64 checked_ns;
	__u32 ifindex;
	__u32 mtu;          /* egress device's MTU then (nexthop.h, lb_nexthop.mtu) */
	__u8 dmac[6];
	__u8 smac[6];
};

/*
 * lb_icmp_conf: one entry, the limits on the ICMP errors the program sends of its own
 * (port unreachable: icmp_unreach.h), as the director's sysctls read when the program
 * was loaded (src/net/icmp-limits.ts). Every load writes it afresh; it is pinned only
 * so that `lvs-xdp status` can show it. All zero (nothing written) means the kernel's
 * defaults.
 */
enum lb_icmp_conf_flags {
	LB_ICMP_CONF_SET = 0x1,      /* written by the control plane */
	LB_ICMP_CONF_LIMIT_V4 = 0x2, /* net.ipv4.icmp_ratemask has destination unreachable (3) */
	LB_ICMP_CONF_LIMIT_V6 = 0x4, /* net.ipv6.icmp.ratemask has destination unreachable (1) */
};

/* The kernel's defaults (a fresh network namespace on 6.18; older kernels had 1000 ms
 * for ICMPv6): what the program uses when lb_icmp_conf was not written. */
enum lb_icmp_defaults {
	LB_ICMP_PEER_MS_V4 = 1000,   /* net.ipv4.icmp_ratelimit */
	LB_ICMP_PEER_MS_V6 = 100,    /* net.ipv6.icmp.ratelimit */
	LB_ICMP_MSGS_PER_SEC = 1000, /* net.ipv4.icmp_msgs_per_sec */
	LB_ICMP_MSGS_BURST = 50,     /* net.ipv4.icmp_msgs_burst */
	LB_ICMP_PEER_BURST = 6,      /* XRLIM_BURST_FACTOR: errors a client may get at once */
};

struct lb_icmp_conf {
	__u32 flags;        /* enum lb_icmp_conf_flags */
	__u32 peer_ms_v4;   /* net.ipv4.icmp_ratelimit: ms per error to one client; 0 = no limit */
	__u32 peer_ms_v6;   /* net.ipv6.icmp.ratelimit */
	__u32 msgs_per_sec; /* net.ipv4.icmp_msgs_per_sec: all clients together (IPv6 too) */
	__u32 msgs_burst;   /* net.ipv4.icmp_msgs_burst */
	__u32 pad;
};

/* Anchor of this section's enums (BTF for `make gen`). */
struct lb_fwd_btf_anchor {
	enum lb_fwd_limits limits;
	enum lb_fwd_conf_flags conf_flags;
	enum lb_icmp_conf_flags icmp_conf_flags;
	enum lb_icmp_defaults icmp_defaults;
};

/* ---- rates (issue #5): below this line ---- */

/*
 * lb_rates: IPVS's rate estimator (ip_vs_est.c) kept by `lvs-xdp agent`, never
 * touched by the program. Index = service id, LB_MAX_SERVICES + real id, and
 * LB_RATES_TOTAL for the sum over all services (IPVS's tot_stats). Each entry holds
 * what ip_vs_read_estimator() returns (whole per-second rates) and when the agent
 * wrote it; `-Ln --rate` prints 0 for an entry older than LB_RATES_STALE_MS (no
 * agent), exactly as a fresh IPVS shows.
 */
enum lb_rates_limits {
	LB_RATES_PERIOD_MS = 2000,  /* the kernel estimator's sampling period */
	LB_RATES_STALE_MS = 7000,   /* older than this: no estimator runs, rates read as 0 */
	LB_RATES_TOTAL = LB_MAX_SERVICES + LB_MAX_REALS,
	LB_RATES_ENTRIES = LB_MAX_SERVICES + LB_MAX_REALS + 1,
};

struct lb_rate {
	__u64 cps;
	__u64 inpps;
	__u64 outpps;
	__u64 inbps;
	__u64 outbps;
	__u64 updated_ns; /* CLOCK_MONOTONIC of the agent's write; 0 = never written */
	__u32 owner_seq;  /* whose rates: reals the real's seq, services a hash of their key, total 1 */
	__u32 samples;    /* estimation steps behind these rates */
};

/* Anchor of this section's enums (BTF for `make gen`). */
struct lb_rates_btf_anchor {
	enum lb_rates_limits limits;
};

#endif /* LB_SHARED_H */
