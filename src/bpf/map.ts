// A handle on one BPF map by file descriptor: raw-byte lookup/update/delete and
// key iteration. Typed access is built on top with the generated layouts.
import { BpfError, check, libbpf } from './ffi/libbpf.js';

export const BPF_ANY = 0;
export const BPF_NOEXIST = 1;
export const BPF_EXIST = 2;

const ENOENT = 2;

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

export function u32Key(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n >>> 0);
  return b;
}

export function isNotFound(e: unknown): boolean {
  return e instanceof BpfError && e.errno === ENOENT;
}
