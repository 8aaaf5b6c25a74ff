// `make gen`: reads .output/lb.bpf.o's BTF through bpftool and writes
// src/bpf/generated/layout.ts. Usage: node dist/src/bpf/gen/main.js OBJ OUT
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { renderLayout } from './btf-layout.js';

export function btfJson(obj: string): { types: never[] } {
  return JSON.parse(execFileSync('bpftool', ['-j', 'btf', 'dump', 'file', obj], { encoding: 'utf8' }));
}

const [obj, out] = process.argv.slice(2);
if (obj && out) {
  writeFileSync(out, renderLayout(btfJson(obj), 'bpf/lb.bpf.c'));
  console.log(`gen: wrote ${out}`);
}
