// A small JSON Schema (2020-12 subset) checker for the --json tests: type, const,
// enum, required, properties, items, oneOf, allOf, $ref (#/$defs/...), minimum,
// maximum. Returns the list of violations (empty: valid). Enough for
// docs/json-schema.json; no dependency.
type Schema = Record<string, unknown>;

function typeOk(t: string, v: unknown): boolean {
  switch (t) {
    case 'object': return typeof v === 'object' && v !== null && !Array.isArray(v);
    case 'array': return Array.isArray(v);
    case 'string': return typeof v === 'string';
    case 'integer': return typeof v === 'number' && Number.isInteger(v);
    case 'number': return typeof v === 'number';
    case 'boolean': return typeof v === 'boolean';
    case 'null': return v === null;
    default: throw new Error(`schema type ${t} not supported by the checker`);
  }
}

export function validate(root: Schema, value: unknown, schema: Schema = root, path = '$'): string[] {
  const errs: string[] = [];
  if (typeof schema.$ref === 'string') {
    const name = /^#\/\$defs\/(.+)$/.exec(schema.$ref)?.[1];
    const target = name && (root.$defs as Record<string, Schema>)[name];
    if (!target) throw new Error(`unresolved $ref ${schema.$ref}`);
    errs.push(...validate(root, value, target, path));
  }
  if (schema.type !== undefined) {
    const types = Array.isArray(schema.type) ? (schema.type as string[]) : [schema.type as string];
    if (!types.some((t) => typeOk(t, value))) return [...errs, `${path}: expected ${types.join('|')}, got ${JSON.stringify(value)}`];
  }
  if ('const' in schema && value !== schema.const) errs.push(`${path}: expected ${JSON.stringify(schema.const)}`);
  if (Array.isArray(schema.enum) && !schema.enum.includes(value)) errs.push(`${path}: ${JSON.stringify(value)} not in ${JSON.stringify(schema.enum)}`);
  if (typeof value === 'number') {
    if (typeof schema.minimum === 'number' && value < schema.minimum) errs.push(`${path}: below ${schema.minimum}`);
    if (typeof schema.maximum === 'number' && value > schema.maximum) errs.push(`${path}: above ${schema.maximum}`);
  }
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const obj = value as Record<string, unknown>;
    for (const k of (schema.required as string[] | undefined) ?? []) if (!(k in obj)) errs.push(`${path}: missing ${k}`);
    const props = (schema.properties as Record<string, Schema> | undefined) ?? {};
    for (const [k, s] of Object.entries(props)) if (k in obj) errs.push(...validate(root, obj[k], s, `${path}.${k}`));
  }
  if (Array.isArray(value) && schema.items) value.forEach((x, i) => errs.push(...validate(root, x, schema.items as Schema, `${path}[${i}]`)));
  for (const s of (schema.allOf as Schema[] | undefined) ?? []) errs.push(...validate(root, value, s, path));
  if (Array.isArray(schema.oneOf)) {
    const results = (schema.oneOf as Schema[]).map((s) => validate(root, value, s, path));
    const ok = results.filter((r) => r.length === 0).length;
    if (ok !== 1) errs.push(`${path}: matches ${ok} of oneOf, expected exactly 1`);
    // no branch matched: the closest one's errors say what is wrong
    if (ok === 0) errs.push(...results.reduce((a, b) => (b.length < a.length ? b : a)));
  }
  return errs;
}
