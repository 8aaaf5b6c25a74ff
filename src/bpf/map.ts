// A handle on one BPF map by file descriptor: raw-byte lookup/update/delete and
// key iteration. Typed access is built on top with the generated layouts.
import { BpfError, check, libbpf } from './ffi/libbpf.js';

export const BPF_ANY = 0;
export const BPF_NOEXIST = 1;
export const BPF_EXIST = 2;

const ENOENT = 2;

/** Entries per batch syscall: large enough to amortise the call, small enough to stay in cache. */
export const BATCH_ENTRIES = 4096;

/** struct bpf_map_batch_opts { size_t sz; __u64 elem_flags; __u64 flags; } as raw bytes. */
function batchOpts(elemFlags = 0): Buffer {
  const opts = Buffer.alloc(24);
  opts.writeBigUInt64LE(24n, 0);
  opts.writeBigUInt64LE(BigInt(elemFlags), 8);
  return opts;
}

/**
 * Runs a batch write over entries [0, n) in calls of at most BATCH_ENTRIES; each call
 * gets its range and a count it may lower to what the kernel did.
 */
function inChunks(n: number, what: string, call: (from: number, to: number, count: number[]) => number): void {
  for (let done = 0; done < n; ) {
    const count = [Math.min(BATCH_ENTRIES, n - done)];
    check(call(done, done + count[0]!, count), what);
    done += count[0]!;
  }
}

/** Keys and values of a batch read, packed: entry i at i*keySize / i*valueBytes. */
export interface Batch {
  count: number;
  keys: Buffer;
  values: Buffer;
}

export interface MapInfo {
  type: number;
  id: number;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  flags: number;
  name: string;
}

// enum bpf_map_type values we need to tell apart
const PERCPU_TYPES = new Set([5 /* PERCPU_HASH */, 6 /* PERCPU_ARRAY */, 10 /* LRU_PERCPU_HASH */]);

let cpus: number | undefined;
export function possibleCpus(): number {
  cpus ??= check(libbpf().libbpf_num_possible_cpus(), 'libbpf_num_possible_cpus');
  return cpus;
}

export function mapInfo(fd: number): MapInfo {
  const buf = Buffer.alloc(96);
  const len = [buf.length];
  check(libbpf().bpf_obj_get_info_by_fd(fd, buf, len), 'bpf_obj_get_info_by_fd');
  const name = buf.subarray(24, 40);
  const nul = name.indexOf(0);
  return {
    type: buf.readUInt32LE(0),
    id: buf.readUInt32LE(4),
    keySize: buf.readUInt32LE(8),
    valueSize: buf.readUInt32LE(12),
    maxEntries: buf.readUInt32LE(16),
    flags: buf.readUInt32LE(20),
    name: name.subarray(0, nul < 0 ? 16 : nul).toString(),
  };
}

export class BpfMap {
  readonly info: MapInfo;
  readonly percpu: boolean;
  /** Bytes one lookup returns: per-CPU maps return one 8-byte-aligned slot per CPU. */
  readonly valueBytes: number;
  readonly slotBytes: number;

  constructor(readonly fd: number, readonly label: string) {
    this.info = mapInfo(fd);
    this.percpu = PERCPU_TYPES.has(this.info.type);
    this.slotBytes = this.percpu ? Math.ceil(this.info.valueSize / 8) * 8 : this.info.valueSize;
    this.valueBytes = this.percpu ? this.slotBytes * possibleCpus() : this.info.valueSize;
  }

  lookup(key: Buffer): Buffer | undefined {
    const out = Buffer.alloc(this.valueBytes);
    const rc = libbpf().bpf_map_lookup_elem(this.fd, key, out);
    if (rc === -ENOENT) return undefined;
    check(rc, `lookup in ${this.label}`);
    return out;
  }

  update(key: Buffer, value: Buffer, flags = BPF_ANY): void {
    check(libbpf().bpf_map_update_elem(this.fd, key, value, flags), `update of ${this.label}`);
  }

  /** Returns false when the key was not there. */
  delete(key: Buffer): boolean {
    const rc = libbpf().bpf_map_delete_elem(this.fd, key);
    if (rc === -ENOENT) return false;
    check(rc, `delete from ${this.label}`);
    return true;
  }

  /** All keys. Hash maps may change under us; a vanished key restarts nothing. */
  *keys(): Generator<Buffer> {
    const lib = libbpf();
    let prev: Buffer | null = null;
    for (;;) {
      const next = Buffer.alloc(this.info.keySize);
      const rc = lib.bpf_map_get_next_key(this.fd, prev, next);
      if (rc === -ENOENT) return;
      check(rc, `iteration of ${this.label}`);
      yield next;
      prev = next;
    }
  }

  /**
   * Values of array slots first..first+n-1 (packed, valueBytes each) with
   * BPF_MAP_LOOKUP_BATCH: one syscall per BATCH_ENTRIES slots instead of one per slot.
   * Only for array maps (every slot exists). With `into` large enough, the values are
   * read into it and the returned Buffer is a view of it (valid until the next read).
   */
  lookupRange(first: number, n: number, into?: Buffer): Buffer {
    const end = Math.min(first + n, this.info.maxEntries);
    const total = Math.max(0, end - first);
    // A caller reading every round passes its own buffer: no megabytes of garbage per round.
    const values = into && into.length >= total * this.valueBytes
      ? into.subarray(0, total * this.valueBytes)
      : Buffer.alloc(total * this.valueBytes);
    const lib = libbpf();
    const opts = batchOpts();
    let done = 0;
    while (done < total) {
      const want = Math.min(BATCH_ENTRIES, total - done);
      // in_batch is the previous key (the kernel walks get_next_key from it); NULL = from slot 0.
      const inBatch = first + done === 0 ? null : u32Key(first + done - 1);
      const outBatch = Buffer.alloc(4);
      const keys = Buffer.alloc(4 * want);
      const count = [want];
      const chunk = values.subarray(done * this.valueBytes, (done + want) * this.valueBytes);
      const rc = lib.bpf_map_lookup_batch(this.fd, inBatch, outBatch, keys, chunk, count, opts) as number;
      if (rc < 0 && rc !== -ENOENT) check(rc, `batch lookup in ${this.label}`);
      const got = count[0]!;
      if (got === 0) break;
      done += got;
    }
    return values;
  }

  /** Every entry of a hash map, by BPF_MAP_LOOKUP_BATCH (entries may change meanwhile). */
  *entries(): Generator<Batch> {
    const ks = this.info.keySize;
    const lib = libbpf();
    const opts = batchOpts();
    let inBatch: Buffer | null = null;
    for (;;) {
      const keys = Buffer.alloc(ks * BATCH_ENTRIES);
      const values = Buffer.alloc(this.valueBytes * BATCH_ENTRIES);
      const outBatch = Buffer.alloc(Math.max(ks, 8));
      const count = [BATCH_ENTRIES];
      const rc = lib.bpf_map_lookup_batch(this.fd, inBatch, outBatch, keys, values, count, opts) as number;
      if (rc < 0 && rc !== -ENOENT) check(rc, `batch lookup in ${this.label}`);
      if (count[0]! > 0) yield { count: count[0]!, keys, values };
      if (rc === -ENOENT) return;
      inBatch = outBatch;
    }
  }

  /**
   * n updates (keys and values packed) with BPF_MAP_UPDATE_BATCH, as update(BPF_ANY):
   * the kernel's batch update accepts no NOEXIST/EXIST, so claims stay with update().
   * Stops at the first failing entry, with the entries before it written.
   */
  updateMany(keys: Buffer, values: Buffer, n: number): void {
    const ks = this.info.keySize, vs = this.valueBytes;
    inChunks(n, `batch update of ${this.label}`, (from, to, count) =>
      libbpf().bpf_map_update_batch(this.fd, keys.subarray(from * ks, to * ks), values.subarray(from * vs, to * vs), count, batchOpts()),
    );
  }

  /** n deletes (keys packed) with BPF_MAP_DELETE_BATCH; a missing key is an error, as in the kernel. */
  deleteMany(keys: Buffer, n: number): void {
    const ks = this.info.keySize;
    inChunks(n, `batch delete from ${this.label}`, (from, to, count) =>
      libbpf().bpf_map_delete_batch(this.fd, keys.subarray(from * ks, to * ks), count, batchOpts()),
    );
  }

  /** Per-CPU value slots of a lookup result. */
  slots(value: Buffer): Buffer[] {
    if (!this.percpu) return [value];
    const out: Buffer[] = [];
    for (let off = 0; off < value.length; off += this.slotBytes) out.push(value.subarray(off, off + this.info.valueSize));
    return out;
  }

  close(): void {
    libbpf().close(this.fd);
  }
}

/** A map of our own (tests, benches): type is enum bpf_map_type. */
export function createMap(type: number, name: string, keySize: number, valueSize: number, maxEntries: number): BpfMap {
  const fd = check(libbpf().bpf_map_create(type, name, keySize, valueSize, maxEntries, null), `create map ${name}`);
  return new BpfMap(fd, name);
}

export function u32Key(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n >>> 0);
  return b;
}

export function isNotFound(e: unknown): boolean {
  return e instanceof BpfError && e.errno === ENOENT;
}
