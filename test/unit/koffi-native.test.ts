// src/bpf/ffi/libbpf.ts loads koffi's prebuilt native module directly, skipping the
// entry point's downloader helpers; on this platform that must be what is used.
import { describe, expect, test } from '@jest/globals';
import { createRequire } from 'node:module';
import { nativeKoffi } from '../../src/bpf/ffi/libbpf.js';

const require = createRequire(import.meta.url);

describe('koffi', () => {
  test('the native module of this platform loads, of the package version, with the API we call', () => {
    const native = nativeKoffi() as unknown as Record<string, unknown> | undefined;
    expect(native).toBeDefined();
    expect(native!.version).toBe((require('koffi/package.json') as { version: string }).version);
    for (const fn of ['load', 'struct', 'pointer', 'inout', 'address', 'errno']) expect(typeof native![fn]).toBe('function');
  });
});
