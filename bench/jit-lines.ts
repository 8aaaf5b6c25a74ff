// Where a BPF program's time goes, by source line: perf samples of the JIT image
// (bpf_prog_<tag>_<name>+0xOFF, from `perf script`) mapped back to the C lines they
// came from, with the program's jited_line_info (its BTF line table placed on the
// JIT image) and `bpftool prog dump xlated linum`. This machine's perf cannot
// annotate BPF (no libopcodes) and its bpftool has no `prog profile`.
//
//   node dist/bench/jit-lines.js PROG_ID OFFSETS   (OFFSETS: "count 0xoffset" lines)
//
// Used by bench/profile-hit.sh; the program must still be loaded (same build as the
// one perf sampled: offsets are compared, not addresses).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { addressOf, check, libbpf } from '../src/bpf/ffi/libbpf.js';

// struct bpf_prog_info (uapi/linux/bpf.h) offsets of the fields read here
const NR_JITED_KSYMS = 104, NR_JITED_FUNC_LENS = 108, JITED_KSYMS = 112, JITED_FUNC_LENS = 120, NR_LINE_INFO = 148, LINE_INFO = 152, JITED_LINE_INFO = 160;
const NR_JITED_LINE_INFO = 168, LINE_INFO_REC_SIZE = 172, JITED_LINE_INFO_REC_SIZE = 176, INFO_SIZE = 256;

function progInfo(fd: number, fill?: (b: Buffer) => void): Buffer {
  const info = Buffer.alloc(INFO_SIZE);
  fill?.(info);
  check(libbpf().bpf_obj_get_info_by_fd(fd, info, [INFO_SIZE]), 'bpf_obj_get_info_by_fd');
  return info;
}

/** JIT offset of each line_info record and the instruction it starts. */
function jitLines(id: number): Array<{ off: number; insn: number }> {
  const fd = check(libbpf().bpf_prog_get_fd_by_id(id), `program ${id}`);
  try {
    const first = progInfo(fd);
    const n = first.readUInt32LE(NR_LINE_INFO), lrs = first.readUInt32LE(LINE_INFO_REC_SIZE);
    const jn = first.readUInt32LE(NR_JITED_LINE_INFO), jrs = first.readUInt32LE(JITED_LINE_INFO_REC_SIZE);
    const nks = first.readUInt32LE(NR_JITED_KSYMS), nfl = first.readUInt32LE(NR_JITED_FUNC_LENS);
    const li = Buffer.alloc(n * lrs), jl = Buffer.alloc(jn * jrs), ks = Buffer.alloc(nks * 8), fl = Buffer.alloc(nfl * 4);
    progInfo(fd, (b) => {
      b.writeUInt32LE(n, NR_LINE_INFO); b.writeBigUInt64LE(addressOf(li), LINE_INFO);
      b.writeUInt32LE(lrs, LINE_INFO_REC_SIZE);
      b.writeUInt32LE(jn, NR_JITED_LINE_INFO); b.writeBigUInt64LE(addressOf(jl), JITED_LINE_INFO);
      b.writeUInt32LE(jrs, JITED_LINE_INFO_REC_SIZE);
      b.writeUInt32LE(nks, NR_JITED_KSYMS); b.writeBigUInt64LE(addressOf(ks), JITED_KSYMS);
      b.writeUInt32LE(nfl, NR_JITED_FUNC_LENS); b.writeBigUInt64LE(addressOf(fl), JITED_FUNC_LENS);
    });
    // Only records inside the main program's image: subprograms have images (and perf
    // symbols) of their own, elsewhere in memory.
    const start = ks.readBigUInt64LE(0), len = fl.readUInt32LE(0);
    return Array.from({ length: Math.min(n, jn) }, (_, i) => ({
      off: Number(jl.readBigUInt64LE(i * jrs) - start),
      insn: li.readUInt32LE(i * lrs),
    })).filter((r) => r.off >= 0 && r.off < len).sort((a, b) => a.off - b.off);
  } finally {
    libbpf().close(fd);
  }
}

/** Instruction index -> "file:line source" from bpftool's xlated dump. */
function sourceLines(id: number): Map<number, string> {
  const dump = execFileSync('bpftool', ['prog', 'dump', 'xlated', 'id', String(id), 'linum'], { encoding: 'utf8', maxBuffer: 1 << 28 });
  const out = new Map<number, string>();
  let cur = '?';
  for (const l of dump.split('\n')) {
    // "; source text [file:/path/name.h line_num:114 line_col:6]"
    const src = /^\s*;\s*(.*?)\s*\[file:\s*(\S+)\s+line_num:(\d+)/.exec(l);
    if (src) { cur = `${src[2]!.split('/').pop()}:${src[3]} ${src[1]!.slice(0, 70)}`; continue; }
    const insn = /^\s*(\d+):/.exec(l);
    if (insn) out.set(Number(insn[1]), cur);
  }
  return out;
}

function main(): void {
  const [idText, offsetsFile] = process.argv.slice(2);
  if (!idText || !offsetsFile) throw new Error('usage: jit-lines.js PROG_ID OFFSETS');
  const id = Number(idText);
  const lines = jitLines(id), src = sourceLines(id);
  const totals = new Map<string, number>();
  let all = 0;
  for (const l of readFileSync(offsetsFile, 'utf8').split('\n')) {
    const m = /^\s*(\d+)\s+0x([0-9a-f]+)/.exec(l);
    if (!m) continue;
    const count = Number(m[1]), off = parseInt(m[2]!, 16);
    let rec = lines[0];
    for (const r of lines) { if (r.off > off) break; rec = r; }
    const where = rec ? src.get(rec.insn) ?? `insn ${rec.insn}` : '?';
    totals.set(where, (totals.get(where) ?? 0) + count);
    all += count;
  }
  for (const [where, n] of [...totals].sort((a, b) => b[1] - a[1]).slice(0, 40)) {
    console.log(`${((100 * n) / all).toFixed(1).padStart(5)} %  ${where}`);
  }
}

main();
