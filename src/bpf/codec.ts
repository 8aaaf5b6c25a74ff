// Encodes and decodes map keys and values from the generated layouts, so the byte
// offsets used here always are the compiler's (src/bpf/generated/layout.ts).
import type { FieldLayout, ScalarType, StructLayout } from './layout-types.js';

type ScalarValue<T extends ScalarType> = T extends 'u64' | 's64' | 'be64' ? bigint : number;
type FieldValue<F extends FieldLayout> = F['count'] extends 1 ? ScalarValue<F['type']> : Array<ScalarValue<F['type']>>;

/** The JavaScript shape of a struct: u64 fields are bigint, arrays are arrays. */
export type Decoded<L extends StructLayout> = { -readonly [K in keyof L['fields']]: FieldValue<L['fields'][K]> };

const SIZE: Record<ScalarType, number> = {
  u8: 1, s8: 1, u16: 2, s16: 2, be16: 2, u32: 4, s32: 4, be32: 4, u64: 8, s64: 8, be64: 8,
};

function readScalar(buf: Buffer, off: number, t: ScalarType): number | bigint {
  switch (t) {
    case 'u8': return buf.readUInt8(off);
    case 's8': return buf.readInt8(off);
    case 'u16': return buf.readUInt16LE(off);
    case 's16': return buf.readInt16LE(off);
    case 'be16': return buf.readUInt16BE(off);
    case 'u32': return buf.readUInt32LE(off);
    case 's32': return buf.readInt32LE(off);
    case 'be32': return buf.readUInt32BE(off);
    case 'u64': return buf.readBigUInt64LE(off);
    case 's64': return buf.readBigInt64LE(off);
    case 'be64': return buf.readBigUInt64BE(off);
  }
}

function writeScalar(buf: Buffer, off: number, t: ScalarType, v: number | bigint): void {
  switch (t) {
    case 'u8': buf.writeUInt8(Number(v), off); return;
    case 's8': buf.writeInt8(Number(v), off); return;
    case 'u16': buf.writeUInt16LE(Number(v), off); return;
    case 's16': buf.writeInt16LE(Number(v), off); return;
    case 'be16': buf.writeUInt16BE(Number(v), off); return;
    case 'u32': buf.writeUInt32LE(Number(v) >>> 0, off); return;
    case 's32': buf.writeInt32LE(Number(v), off); return;
    case 'be32': buf.writeUInt32BE(Number(v) >>> 0, off); return;
    case 'u64': buf.writeBigUInt64LE(BigInt(v), off); return;
    case 's64': buf.writeBigInt64LE(BigInt(v), off); return;
    case 'be64': buf.writeBigUInt64BE(BigInt(v), off); return;
  }
}

/**
 * The fields of a layout as a list, made once per layout: -Ln decodes and -R encodes
 * tens of thousands of values, and Object.entries() on every call was most of it.
 */
const fieldLists = new WeakMap<StructLayout, ReadonlyArray<readonly [string, FieldLayout]>>();
function fieldsOf(layout: StructLayout): ReadonlyArray<readonly [string, FieldLayout]> {
  let f = fieldLists.get(layout);
  if (!f) {
    f = Object.entries(layout.fields);
    fieldLists.set(layout, f);
  }
  return f;
}

/** Encodes v; fields left out are zero (padding included). */
export function encode<L extends StructLayout>(layout: L, v: Partial<Decoded<L>>, into?: Buffer): Buffer {
  const buf = into ?? Buffer.alloc(layout.size);
  if (into) buf.fill(0, 0, layout.size);
  for (const [name, f] of fieldsOf(layout)) {
    const value = (v as Record<string, unknown>)[name];
    if (value === undefined) continue;
    if (f.count === 1) {
      writeScalar(buf, f.offset, f.type, value as number | bigint);
    } else {
      const arr = value as Array<number | bigint>;
      for (let i = 0; i < f.count && i < arr.length; i++) writeScalar(buf, f.offset + i * SIZE[f.type], f.type, arr[i]!);
    }
  }
  return buf;
}

export function decode<L extends StructLayout>(layout: L, buf: Buffer, offset = 0): Decoded<L> {
  const out: Record<string, unknown> = {};
  for (const [name, f] of fieldsOf(layout)) {
    if (f.count === 1) {
      out[name] = readScalar(buf, offset + f.offset, f.type);
    } else {
      const arr: Array<number | bigint> = [];
      for (let i = 0; i < f.count; i++) arr.push(readScalar(buf, offset + f.offset + i * SIZE[f.type], f.type));
      out[name] = arr;
    }
  }
  return out as Decoded<L>;
}

/** A DataView over a buffer's bytes, for reading fields straight from a batch in hot loops. */
export function viewOf(buf: Buffer): DataView {
  return new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
}

/**
 * Checks that fields of a layout still have the types a hand-written reader assumes
 * (-Ln reads 16,000 reals field by field instead of through decode()). Run when the
 * reader's module loads: a layout change fails at once, not as wrong numbers.
 */
export function expectFields(layout: StructLayout, types: Readonly<Record<string, ScalarType>>): void {
  for (const [name, type] of Object.entries(types)) {
    const f = layout.fields[name];
    if (!f || f.type !== type) throw new TypeError(`${layout.name}.${name} is ${f ? f.type : 'missing'}, the reader expects ${type}`);
  }
}
