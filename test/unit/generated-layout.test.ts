// lb_shared.h is the one source of truth for layouts shared with C. This fails
// when src/bpf/generated/layout.ts is not what `make gen` would write now.
import { describe, expect, test } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderLayout } from '../../src/bpf/gen/btf-layout.js';
import { repoRoot } from '../../src/util/paths.js';
import * as layout from '../../src/bpf/generated/layout.js';

const root = repoRoot();
const obj = join(root, '.output', 'lb.bpf.o');

describe('generated struct layouts', () => {
  test('src/bpf/generated/layout.ts matches the compiled object (run `make gen` if not)', () => {
    expect(existsSync(obj)).toBe(true);
    const btf = JSON.parse(execFileSync('bpftool', ['-j', 'btf', 'dump', 'file', obj], { encoding: 'utf8' }));
    const fresh = renderLayout(btf, 'bpf/lb.bpf.c');
    const committed = readFileSync(join(root, 'src', 'bpf', 'generated', 'layout.ts'), 'utf8');
    expect(committed).toBe(fresh);
  });

  test('big-endian typedefs are kept: addresses and ports are network order', () => {
    expect(layout.lb_svc_key.fields.addr).toEqual({ offset: 0, type: 'be32', count: 4 });
    expect(layout.lb_svc_key.fields.port.type).toBe('be16');
  });

  test('renderLayout refuses an object without lb_ structs', () => {
    expect(() => renderLayout({ types: [] }, 'x')).toThrow(/no lb_\* structs/);
  });
});
