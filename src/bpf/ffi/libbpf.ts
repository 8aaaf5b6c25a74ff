// The only module that touches libbpf.so.1, through koffi.
//
// Why koffi: ffi-napi, the FFI the original design named, no longer compiles on
// Node 20; koffi is maintained, ships prebuilt binaries inside its npm package and
// works even when npm skips install scripts.
//
// libbpf 1.x returns negative errno values directly from its bpf.h calls and NULL
// (with errno set) from its object APIs; both are turned into thrown BpfError here,
// so nothing above this file ever sees a raw return code.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { DataplaneError } from '../../util/errors.js';

const require = createRequire(import.meta.url);
// koffi is CommonJS; loaded lazily so pure modules importing types never need it.
type Koffi = typeof import('koffi');
let koffiMod: Koffi | undefined;
function koffi(): Koffi {
  koffiMod ??= nativeKoffi() ?? (require('koffi') as Koffi);
  return koffiMod;
}

/**
 * koffi's prebuilt native module for this platform, loaded straight from its package.
 * koffi's entry point first loads the helpers of its binary downloader (https, zlib,
 * crypto: ~10 ms of every command's start-up) and then only adds deprecated aliases we
 * do not use. Undefined (the entry point is used) when the package is laid out
 * otherwise or the binary's version is not the package's.
 */
export function nativeKoffi(): Koffi | undefined {
  try {
    const pkgPath = require.resolve('koffi/package.json');
    const { version } = require(pkgPath) as { version: string };
    const native = require(join(dirname(pkgPath), 'build', 'koffi', `${process.platform}_${process.arch}`, 'koffi.node')) as Koffi & { version?: string };
    return native.version === version && typeof native.load === 'function' ? native : undefined;
  } catch {
    return undefined;
  }
}

export class BpfError extends DataplaneError {
  readonly errno: number;
  constructor(what: string, errno: number) {
    super(`${what}: ${errnoText(errno)}`);
    this.errno = errno;
  }
}

const ERRNO_TEXT: Record<number, string> = {
  1: 'Operation not permitted (are you root?)',
  2: 'No such file or directory',
  7: 'Argument list too long',
  9: 'Bad file descriptor',
  12: 'Cannot allocate memory',
  13: 'Permission denied',
  16: 'Device or resource busy',
  17: 'File exists',
  19: 'No such device',
  22: 'Invalid argument',
  28: 'No space left on device',
  95: 'Operation not supported',
};

export function errnoText(errno: number): string {
  return ERRNO_TEXT[errno] ?? `errno ${errno}`;
}

/* eslint-disable @typescript-eslint/no-explicit-any */
type Fn = (...args: any[]) => any;

export interface Libbpf {
  bpf_object__open_file: Fn;
  bpf_object__load: Fn;
  bpf_object__close: Fn;
  bpf_object__find_map_by_name: Fn;
  bpf_object__find_program_by_name: Fn;
  bpf_map__set_max_entries: Fn;
  bpf_map__set_pin_path: Fn;
  bpf_map__fd: Fn;
  bpf_program__fd: Fn;
  bpf_obj_pin: Fn;
  bpf_obj_get: Fn;
  bpf_link_create: Fn;
  bpf_link_update: Fn;
  bpf_map_update_elem: Fn;
  bpf_map_lookup_elem: Fn;
  bpf_map_delete_elem: Fn;
  bpf_map_get_next_key: Fn;
  bpf_map_lookup_batch: Fn;
  bpf_map_update_batch: Fn;
  bpf_map_delete_batch: Fn;
  bpf_map_create: Fn;
  bpf_prog_test_run_opts: Fn;
  bpf_obj_get_info_by_fd: Fn;
  bpf_prog_get_fd_by_id: Fn;
  libbpf_num_possible_cpus: Fn;
  close: Fn;
  if_nametoindex: Fn;
  TestRunOpts: unknown;
}

let lib: Libbpf | undefined;

/** Binds libbpf on first use; a missing libbpf.so.1 is a clear one-line error. */
export function libbpf(): Libbpf {
  if (lib) return lib;
  const k = koffi();
  let so;
  let libc;
  try {
    so = k.load('libbpf.so.1');
    libc = k.load('libc.so.6');
  } catch (e) {
    throw new DataplaneError(`cannot load libbpf.so.1 (install libbpf1 / run make setup): ${(e as Error).message}`);
  }
  // struct bpf_test_run_opts (libbpf 1.1, bpf.h): sz first, pointers as void*.
  // Anonymous: koffi's type names are process-wide, and jest evaluates this module
  // once per test file in one process; a named struct would be defined twice.
  const TestRunOpts = k.struct({
    sz: 'size_t',
    data_in: 'void *',
    data_out: 'void *',
    data_size_in: 'uint32_t',
    data_size_out: 'uint32_t',
    ctx_in: 'void *',
    ctx_out: 'void *',
    ctx_size_in: 'uint32_t',
    ctx_size_out: 'uint32_t',
    retval: 'uint32_t',
    repeat: 'int',
    duration: 'uint32_t',
    flags: 'uint32_t',
    cpu: 'uint32_t',
    batch_size: 'uint32_t',
  });
  lib = {
    bpf_object__open_file: so.func('void *bpf_object__open_file(const char *path, void *opts)'),
    bpf_object__load: so.func('int bpf_object__load(void *obj)'),
    bpf_object__close: so.func('void bpf_object__close(void *obj)'),
    bpf_object__find_map_by_name: so.func('void *bpf_object__find_map_by_name(void *obj, const char *name)'),
    bpf_object__find_program_by_name: so.func('void *bpf_object__find_program_by_name(void *obj, const char *name)'),
    bpf_map__set_max_entries: so.func('int bpf_map__set_max_entries(void *map, uint32_t n)'),
    bpf_map__set_pin_path: so.func('int bpf_map__set_pin_path(void *map, const char *path)'),
    bpf_map__fd: so.func('int bpf_map__fd(void *map)'),
    bpf_program__fd: so.func('int bpf_program__fd(void *prog)'),
    bpf_obj_pin: so.func('int bpf_obj_pin(int fd, const char *path)'),
    bpf_obj_get: so.func('int bpf_obj_get(const char *path)'),
    // opts: struct bpf_link_create_opts / bpf_link_update_opts passed as raw bytes
    bpf_link_create: so.func('int bpf_link_create(int prog_fd, int target_fd, int type, void *opts)'),
    bpf_link_update: so.func('int bpf_link_update(int link_fd, int new_prog_fd, void *opts)'),
    bpf_map_update_elem: so.func('int bpf_map_update_elem(int fd, void *key, void *value, uint64_t flags)'),
    bpf_map_lookup_elem: so.func('int bpf_map_lookup_elem(int fd, void *key, _Out_ void *value)'),
    bpf_map_delete_elem: so.func('int bpf_map_delete_elem(int fd, void *key)'),
    bpf_map_get_next_key: so.func('int bpf_map_get_next_key(int fd, void *key, _Out_ void *next)'),
    // opts: struct bpf_map_batch_opts { size_t sz; __u64 elem_flags; __u64 flags; } as raw bytes
    bpf_map_lookup_batch: so.func(
      'int bpf_map_lookup_batch(int fd, void *in_batch, void *out_batch, void *keys, void *values, _Inout_ uint32_t *count, void *opts)',
    ),
    bpf_map_update_batch: so.func(
      'int bpf_map_update_batch(int fd, void *keys, void *values, _Inout_ uint32_t *count, void *opts)',
    ),
    bpf_map_delete_batch: so.func('int bpf_map_delete_batch(int fd, void *keys, _Inout_ uint32_t *count, void *opts)'),
    // opts: struct bpf_map_create_opts or NULL
    bpf_map_create: so.func(
      'int bpf_map_create(int type, const char *name, uint32_t key_size, uint32_t value_size, uint32_t max_entries, void *opts)',
    ),
    bpf_prog_test_run_opts: so.func('bpf_prog_test_run_opts', 'int', ['int', k.inout(k.pointer(TestRunOpts))]),
    bpf_obj_get_info_by_fd: so.func('int bpf_obj_get_info_by_fd(int fd, _Inout_ void *info, _Inout_ uint32_t *len)'),
    bpf_prog_get_fd_by_id: so.func('int bpf_prog_get_fd_by_id(uint32_t id)'),
    libbpf_num_possible_cpus: so.func('int libbpf_num_possible_cpus(void)'),
    close: libc.func('int close(int fd)'),
    if_nametoindex: libc.func('unsigned int if_nametoindex(const char *name)'),
    TestRunOpts,
  };
  return lib;
}

/** Address of a buffer's memory, for kernel structs that carry user pointers (bpf_prog_info). */
export function addressOf(buf: Buffer): bigint {
  return BigInt(koffi().address(buf));
}

/** errno of the last failed libc/libbpf call on this thread. */
export function lastErrno(): number {
  return koffi().errno();
}

/** Throws BpfError for a negative libbpf return code; returns it otherwise. */
export function check(rc: number, what: string): number {
  if (rc < 0) throw new BpfError(what, -rc);
  return rc;
}

/** Throws for a NULL pointer result (libbpf 1.x sets errno). */
export function checkPtr<T>(p: T | null, what: string): T {
  if (p === null) throw new BpfError(what, lastErrno() || 22);
  return p;
}
