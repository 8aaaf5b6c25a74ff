/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sched_hash.h — the hashing schedulers' lookups: sh, dh (256 buckets) and mh
 * (4093-entry Maglev table). The tables are built by the control plane
 * (src/sched/sh.ts, dh.ts, mh.ts); here only the packet is hashed, exactly as
 * the kernel does, and the live generation of lb_slots indexed.
 *
 *   fold(a)     = ntohl(a) for IPv4, ntohl(a0 ^ a1 ^ a2 ^ a3) for IPv6
 *   sh(off)     = (off + (port + fold(saddr)) * 2654435761) & 255   ip_vs_sh_hashkey()
 *   dh          = (fold(daddr) * 2654435761) & 255                   ip_vs_dh_hashkey()
 *   mh(off)     = hsiphash_k1(off + port + fold(saddr)) % 4093       ip_vs_mh_hashkey()
 *   port        = source port with sh-port / mh-port (-b), else 0
 *
 * hsiphash on a 64-bit kernel is SipHash-1-3 truncated to 32 bits; ip_vs_mh.c
 * keys it with the constants 2654435761 (hash1) and 2654446892 (hash2).
 *
 * With sh-fallback / mh-fallback an unavailable destination (weight 0 or
 * overloaded) is skipped by rehashing with offsets ihash, ihash + 1, ... (mod the
 * table size), stopping at an empty bucket, as ip_vs_{sh,mh}_get_fallback().
 * Those loops run in bpf_loop().
 */
#ifndef LB_SCHED_HASH_H
#define LB_SCHED_HASH_H

#define LB_GOLDEN 2654435761U
#define LB_MH_KEY1 2654435761ULL

static __always_inline __u32 addr_fold(const __be32 *a)
{
	/* IPv4 keeps words 1..3 zero, so one expression serves both families */
	return bpf_ntohl(a[0] ^ a[1] ^ a[2] ^ a[3]);
}

static __always_inline __u32 sh_hash(__u32 base, __u32 offset)
{
	return (offset + base * LB_GOLDEN) & (LB_HASH_TAB_SIZE - 1);
}

#define ROTL64(x, b) (((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND                                                                 \
	do {                                                                     \
		v0 += v1; v1 = ROTL64(v1, 13); v1 ^= v0; v0 = ROTL64(v0, 32);    \
		v2 += v3; v3 = ROTL64(v3, 16); v3 ^= v2;                         \
		v0 += v3; v3 = ROTL64(v3, 21); v3 ^= v0;                         \
		v2 += v1; v1 = ROTL64(v1, 17); v1 ^= v2; v2 = ROTL64(v2, 32);    \
	} while (0)

/* hsiphash(&v, 4, {k, k}) of a 64-bit kernel (lib/siphash.c, SipHash-1-3). */
static __always_inline __u32 mh_hsiphash(__u32 v, __u64 k)
{
	__u64 v0 = 0x736f6d6570736575ULL ^ k;
	__u64 v1 = 0x646f72616e646f6dULL ^ k;
	__u64 v2 = 0x6c7967656e657261ULL ^ k;
	__u64 v3 = 0x7465646279746573ULL ^ k;
	__u64 b = (4ULL << 56) | v;

	v3 ^= b;
	SIPROUND;
	v0 ^= b;
	v2 ^= 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	return (__u32)((v0 ^ v1) ^ (v2 ^ v3));
}

static __always_inline __u32 mh_hash(__u32 base, __u32 offset)
{
	return mh_hsiphash(offset + base, LB_MH_KEY1) % LB_MH_TAB_SIZE;
}

struct hash_fb {
	__u32 svc_id;
	__u32 base;
	__u32 ihash;
	__u8 gen;
	__u8 mh;
	__s64 rid;
};

__attribute__((noinline)) int sched_hash_fb_step(struct hash_fb *f, __u32 i)
{
	__u32 size, roffset, h;
	__s64 rid;

	if (!f)
		return 1;
	size = f->mh ? LB_MH_TAB_SIZE : LB_HASH_TAB_SIZE;
	roffset = (i + f->ihash) % size;
	h = f->mh ? mh_hash(f->base, roffset) : sh_hash(f->base, roffset);
	rid = slot_real(f->svc_id, f->gen, h);
	if (rid < 0)
		return 1; /* empty bucket: give up, as the kernel */
	if (real_available((__u32)rid, f->svc_id)) {
		f->rid = rid;
		return 1;
	}
	return 0;
}

static long hash_fb_step(__u32 i, void *data)
{
	return sched_hash_fb_step(data, i) ? 1 : 0;
}

/* Bucket h, or with fallback the first available one along the rehash sequence. */
static __always_inline int hash_lookup(struct sched_in *in, __u32 base, __u32 h, int mh)
{
	struct hash_fb f = { .svc_id = in->svc_id, .base = base, .ihash = h, .gen = in->gen, .mh = mh, .rid = -1 };
	__s64 rid;

	if (in->table_len != (mh ? LB_MH_TAB_SIZE : LB_HASH_TAB_SIZE))
		return -1; /* no destinations: empty table */
	rid = slot_real(in->svc_id, in->gen, h);
	if (rid < 0)
		return -1;
	if (real_available((__u32)rid, in->svc_id))
		return rid;
	if (!(in->flags & LB_SVC_F_SCHED1))
		return -1;
	bpf_loop(mh ? LB_MH_TAB_SIZE : LB_HASH_TAB_SIZE, hash_fb_step, &f, 0);
	return f.rid;
}

static __always_inline __u32 hash_port(struct sched_in *in)
{
	return (in->flags & LB_SVC_F_SCHED2) ? bpf_ntohs(in->sport) : 0;
}

static __always_inline int sched_sh(struct sched_in *in)
{
	__u32 base = hash_port(in) + addr_fold(in->saddr);

	return hash_lookup(in, base, sh_hash(base, 0), 0);
}

static __always_inline int sched_dh(struct sched_in *in)
{
	__u32 base = addr_fold(in->daddr);
	__s64 rid;

	if (in->table_len != LB_HASH_TAB_SIZE)
		return -1;
	rid = slot_real(in->svc_id, in->gen, sh_hash(base, 0));
	if (rid < 0 || !real_available((__u32)rid, in->svc_id))
		return -1;
	return rid;
}

static __always_inline int sched_mh(struct sched_in *in)
{
	__u32 base = hash_port(in) + addr_fold(in->saddr);

	return hash_lookup(in, base, mh_hash(base, 0), 1);
}

#endif /* LB_SCHED_HASH_H */
