// SPDX-License-Identifier: GPL-2.0
/*
 * napi.bpf.c — an XDP program that passes everything.
 *
 * A veth only takes frames another veth transmitted with XDP_TX or redirect when
 * the receiving end runs NAPI, which it does while it has an XDP program; without
 * one the frames are lost silently (measured on 6.18: GRO alone did not do it).
 * The lab puts this on every switch port so the director's forwarded frames
 * arrive; `lvs-xdp status` says when a veth peer lacks it.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int xdp_napi_pass(struct xdp_md *ctx)
{
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
