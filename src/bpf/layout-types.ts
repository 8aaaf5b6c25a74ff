// Shapes of the generated layout descriptions (src/bpf/generated/layout.ts).
export type ScalarType = 'u8' | 'u16' | 'u32' | 'u64' | 's8' | 's16' | 's32' | 's64' | 'be16' | 'be32' | 'be64';

export interface FieldLayout {
  readonly offset: number;
  readonly type: ScalarType;
  /** Array length; 1 for a plain field. */
  readonly count: number;
}

export interface StructLayout {
  readonly name: string;
  readonly size: number;
  readonly fields: Readonly<Record<string, FieldLayout>>;
}
