// SPDX-License-Identifier: GPL-2.0
/*
 * trivial.bpf.c — benchmark helpers, never attached to an interface.
 *
 *  - xdp_drop, xdp_tx: the denominators. They touch nothing and return their
 *    verdict, so BPF_PROG_TEST_RUN of them is the harness's own cost plus a
 *    program call: the floor every figure is compared against.
 *  - xdp_step: a flow stepper for paths that need a different packet on every
 *    run (new connections, many flows). BPF_PROG_TEST_RUN with repeat reruns one
 *    packet buffer and keeps what the program wrote into it, so this program
 *    writes flow number n into the packet (client address 198.51.100.X, client
 *    port Y, X:Y = n), fixes the IPv4 header checksum, and tail-calls the program
 *    under test (slot 0 of step_jmp). n counts up from step_cfg.next; with
 *    step_cfg.nflows set it wraps, cycling over a fixed set of flows.
 *    Its own cost is measured by stepping into xdp_drop and subtracted.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

char LICENSE[] SEC("license") = "GPL";

SEC("xdp")
int xdp_drop(struct xdp_md *ctx)
{
	return XDP_DROP;
}

SEC("xdp")
int xdp_tx(struct xdp_md *ctx)
{
	return XDP_TX;
}

struct step_cfg {
	__u64 next;   /* flow number of the next run */
	__u64 nflows; /* 0: count up for ever; else flows 0..nflows-1 in turn */
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct step_cfg);
} step_state SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} step_jmp SEC(".maps");

SEC("xdp")
int xdp_step(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *iph = (void *)(eth + 1);
	struct tcphdr *th = (void *)(iph + 1);
	struct step_cfg *cfg;
	__u32 zero = 0, sum = 0;
	__u16 *w = (__u16 *)iph;
	__u64 n;

	if ((void *)(th + 1) > end)
		return XDP_ABORTED;
	cfg = bpf_map_lookup_elem(&step_state, &zero);
	if (!cfg)
		return XDP_ABORTED;
	n = cfg->next++;
	if (cfg->nflows)
		n %= cfg->nflows;
	/* 198.51.100.0/24 x 65536 ports: up to 16M distinct clients */
	iph->saddr = bpf_htonl(0xc6336400 | ((n >> 16) & 0xff));
	th->source = bpf_htons(n & 0xffff);
	iph->check = 0;
#pragma unroll
	for (int i = 0; i < 10; i++)
		sum += w[i];
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	iph->check = ~sum & 0xffff;
	bpf_tail_call(ctx, &step_jmp, 0);
	return XDP_ABORTED; /* slot empty: never a silent success */
}
