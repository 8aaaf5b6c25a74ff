// SPDX-License-Identifier: GPL-2.0
/*
 * gen.bpf.c — the forwarding benchmark's own packet generator, sink and
 * denominator (bench/pktgen.ts, bench/forward.sh). Loaded with `bpftool prog
 * loadall`, so the three programs share the maps below.
 *
 *  - xdp_gen: run by BPF_PROG_RUN with BPF_F_TEST_XDP_LIVE_FRAMES on the
 *    generator's veth (ingress_ifindex in the ctx). Live frames come from a page
 *    pool whose pages are recycled after the director rewrote them (MACs, NAT
 *    addresses), so every run writes the whole 64-byte frame from gen_cfg: the
 *    UDP source port steps through gen_cfg.nflows values (256 flows), both
 *    checksums are computed, and XDP_TX sends the frame to the director.
 *  - xdp_sink: on the real server's end: counts UDP frames in a per-CPU counter
 *    and drops them (the rate is read where packets arrive); anything else goes
 *    on to the kernel, so the same real server also answers TCP.
 *  - xdp_fwd: the denominator: redirect every frame to fwd_ifindex (the
 *    director's real-server-side veth) and nothing else.
 *  - xdp_fwd_mac: the TCP figures' trivial forwarder (bench/tcp.sh): what any
 *    XDP director must do at the least, DR without a table: frames to
 *    fwd_mac.vip:port get the real server's MAC (and the director's as source)
 *    and go to fwd_ifindex; everything else goes on to the kernel.
 *  - xdp_pass: gives a veth a NAPI context (XDP frames sent to a veth are only
 *    received when its peer has an XDP program or GRO).
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/in.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

char LICENSE[] SEC("license") = "GPL";

#define FRAME_LEN 64
#define PAYLOAD_LEN (FRAME_LEN - 14 - 20 - 8)

/* flags: the flows step the destination port (from dport) and the source port stays
 * sport_base: a server's replies to many clients' ports (NAT replies, forward.sh) */
#define GEN_F_STEP_DPORT 1

struct gen_cfg {
	__u8 dmac[6];
	__u8 smac[6];
	__be32 saddr;
	__be32 daddr;
	__u16 sport_base; /* host order: the first flow's source port (GEN_F_STEP_DPORT: every flow's) */
	__u16 dport;      /* host order: every flow's destination port (GEN_F_STEP_DPORT: the first's) */
	__u32 nflows;
	__u32 flags;      /* GEN_F_* */
	__u64 seq;        /* runs so far (the next flow number) */
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct gen_cfg);
} gen_state SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2); /* 0: UDP frames dropped here, 1: other frames passed */
	__type(key, __u32);
	__type(value, __u64);
} sink_cnt SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} fwd_ifindex SEC(".maps");

struct fwd_mac_cfg {
	__be32 vip;
	__u8 dmac[6]; /* the real server's */
	__u8 smac[6]; /* the director's real-server-side veth */
	__be16 port;
	__u16 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct fwd_mac_cfg);
} fwd_mac SEC(".maps");

static __always_inline __u32 fold(__u32 s)
{
	s = (s & 0xffff) + (s >> 16);
	return (s & 0xffff) + (s >> 16);
}

SEC("xdp")
int xdp_gen(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *iph = (void *)(eth + 1);
	struct udphdr *uh = (void *)(iph + 1);
	__u8 *pl = (void *)(uh + 1);
	struct gen_cfg *c;
	__u32 zero = 0, sum = 0;
	__u16 *w = (__u16 *)iph, sport, dport, flow;

	if ((void *)pl + PAYLOAD_LEN > end)
		return XDP_ABORTED;
	c = bpf_map_lookup_elem(&gen_state, &zero);
	if (!c || !c->nflows)
		return XDP_ABORTED;
	flow = (__u16)(c->seq % c->nflows);
	c->seq++;
	sport = c->sport_base + (c->flags & GEN_F_STEP_DPORT ? 0 : flow);
	dport = c->dport + (c->flags & GEN_F_STEP_DPORT ? flow : 0);

	__builtin_memcpy(eth->h_dest, c->dmac, 6);
	__builtin_memcpy(eth->h_source, c->smac, 6);
	eth->h_proto = bpf_htons(ETH_P_IP);
	iph->version = 4;
	iph->ihl = 5;
	iph->tos = 0;
	iph->tot_len = bpf_htons(FRAME_LEN - 14);
	iph->id = 0;
	iph->frag_off = bpf_htons(0x4000);
	iph->ttl = 64;
	iph->protocol = IPPROTO_UDP;
	iph->check = 0;
	iph->saddr = c->saddr;
	iph->daddr = c->daddr;
#pragma unroll
	for (int i = 0; i < 10; i++)
		sum += w[i];
	iph->check = ~fold(sum) & 0xffff;

	uh->source = bpf_htons(sport);
	uh->dest = bpf_htons(dport);
	uh->len = bpf_htons(FRAME_LEN - 14 - 20);
	__builtin_memset(pl, 0, PAYLOAD_LEN);
	/* pseudo header + UDP header; the payload is zeros */
	sum = (c->saddr & 0xffff) + (c->saddr >> 16) + (c->daddr & 0xffff) + (c->daddr >> 16) +
	      bpf_htons(IPPROTO_UDP) + uh->len + uh->source + uh->dest + uh->len;
	sum = ~fold(sum) & 0xffff;
	uh->check = sum ? sum : 0xffff;
	return XDP_TX;
}

SEC("xdp")
int xdp_sink(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *iph = (void *)(eth + 1);
	__u32 key = 1;
	__u64 *n;

	if ((void *)(iph + 1) <= end && eth->h_proto == bpf_htons(ETH_P_IP) && iph->protocol == IPPROTO_UDP)
		key = 0;
	n = bpf_map_lookup_elem(&sink_cnt, &key);
	if (n)
		(*n)++;
	return key == 0 ? XDP_DROP : XDP_PASS;
}

SEC("xdp")
int xdp_fwd(struct xdp_md *ctx)
{
	__u32 zero = 0, *ifindex = bpf_map_lookup_elem(&fwd_ifindex, &zero);

	return ifindex ? bpf_redirect(*ifindex, 0) : XDP_ABORTED;
}

SEC("xdp")
int xdp_fwd_mac(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *iph = (void *)(eth + 1);
	__be16 *ports = (void *)(iph + 1); /* no IP options from the lab's hosts */
	__u32 zero = 0, *ifindex;
	struct fwd_mac_cfg *c;

	if ((void *)(ports + 2) > end || eth->h_proto != bpf_htons(ETH_P_IP) || iph->ihl != 5 ||
	    iph->protocol != IPPROTO_TCP)
		return XDP_PASS;
	c = bpf_map_lookup_elem(&fwd_mac, &zero);
	ifindex = bpf_map_lookup_elem(&fwd_ifindex, &zero);
	if (!c || !ifindex || iph->daddr != c->vip || ports[1] != c->port)
		return XDP_PASS;
	__builtin_memcpy(eth->h_dest, c->dmac, 6);
	__builtin_memcpy(eth->h_source, c->smac, 6);
	return bpf_redirect(*ifindex, 0);
}

SEC("xdp")
int xdp_pass(struct xdp_md *ctx)
{
	return XDP_PASS;
}
