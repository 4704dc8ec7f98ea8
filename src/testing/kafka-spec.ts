/**
 * A small interpreter for Kafka's JSON message specs, used only by tests as an independent oracle:
 * it encodes and decodes any message straight from the spec, and builds fast-check arbitraries of
 * valid messages. The hand-written codecs in src/core/protocol/apis/ are checked against it byte for byte.
 *
 * Values use the field names camelCased (ApiKeys -> apiKeys), the same names the typed codecs use.
 * Fields absent from a version are absent from the object. Tagged fields are left at their defaults
 * (not written) unless `withTagged` is set when building an arbitrary.
 */
import fc from 'fast-check';
import { Reader } from '../core/protocol/reader.ts';
import { Writer } from '../core/protocol/writer.ts';

export interface SpecField {
  name: string;
  type: string;
  versions: string;
  nullableVersions?: string;
  taggedVersions?: string;
  tag?: number;
  flexibleVersions?: string;
  default?: unknown;
  fields?: SpecField[];
}

export interface MessageSpec {
  name: string;
  apiKey?: number;
  type: string;
  validVersions: string;
  flexibleVersions: string;
  fields: SpecField[];
  commonStructs?: { name: string; versions: string; fields: SpecField[] }[];
}

/** Parses a spec file's text (which carries // comment lines before the JSON). */
export function parseSpec(text: string): MessageSpec {
  const json = text
    .split('\n')
    .map((line) => line.replace(/^\s*\/\/.*$/, ''))
    .join('\n');
  return JSON.parse(json) as MessageSpec;
}

/** Parses "0+", "3-5", "7", "none" into an inclusive range (empty for "none"). */
export function versionRange(text: string | undefined): { min: number; max: number } {
  if (text === undefined || text === 'none') return { min: 1, max: 0 };
  if (text.endsWith('+')) return { min: Number(text.slice(0, -1)), max: Number.MAX_SAFE_INTEGER };
  const [lo, hi] = text.split('-');
  return { min: Number(lo), max: Number(hi ?? lo) };
}

export function inRange(text: string | undefined, version: number): boolean {
  const range = versionRange(text);
  return version >= range.min && version <= range.max;
}

export function camel(name: string): string {
  return name.charAt(0).toLowerCase() + name.slice(1);
}

type Value = unknown;
type Obj = Record<string, Value>;

interface Ctx {
  spec: MessageSpec;
  version: number;
  flexible: boolean;
}

function structFields(ctx: Ctx, field: SpecField): SpecField[] {
  if (field.fields !== undefined) return field.fields;
  const name = field.type.replace(/^\[\]/, '');
  const common = ctx.spec.commonStructs?.find((s) => s.name === name);
  if (common === undefined) throw new Error(`unknown struct type ${name} in ${ctx.spec.name}`);
  return common.fields;
}

function isPresent(ctx: Ctx, field: SpecField): boolean {
  if (!inRange(field.versions, ctx.version)) return false;
  if (field.taggedVersions !== undefined && !ctx.flexible) return false;
  return true;
}

function isTagged(ctx: Ctx, field: SpecField): boolean {
  return field.taggedVersions !== undefined && inRange(field.taggedVersions, ctx.version);
}

// ---- encode -------------------------------------------------------------------------------------

function writeScalar(w: Writer, ctx: Ctx, field: SpecField, type: string, value: Value, nullable: boolean): void {
  const compact = ctx.flexible && field.flexibleVersions !== 'none';
  switch (type) {
    case 'bool': w.bool(value as boolean); return;
    case 'int8': w.int8(value as number); return;
    case 'int16': w.int16(value as number); return;
    case 'uint16': w.int16((value as number) << 16 >> 16); return;
    case 'int32': w.int32(value as number); return;
    case 'uint32': w.uint32(value as number); return;
    case 'int64': w.int64(value as bigint); return;
    case 'float64': w.float64(value as number); return;
    case 'uuid': w.uuid(value as Uint8Array); return;
    case 'string':
      if (compact) nullable ? w.compactNullableString(value as string | null) : w.compactString(value as string);
      else nullable ? w.nullableString(value as string | null) : w.string(value as string);
      return;
    case 'bytes':
    case 'records':
      if (compact) nullable ? w.compactNullableBytes(value as Uint8Array | null) : w.compactBytes(value as Uint8Array);
      else nullable ? w.nullableBytes(value as Uint8Array | null) : w.bytes(value as Uint8Array);
      return;
    default:
      throw new Error(`unknown scalar type ${type}`);
  }
}

function writeValue(w: Writer, ctx: Ctx, field: SpecField, value: Value): void {
  const nullable = inRange(field.nullableVersions, ctx.version);
  if (field.type.startsWith('[]')) {
    const items = value as Value[] | null;
    if (items === null) {
      if (ctx.flexible) w.uvarint(0);
      else w.int32(-1);
      return;
    }
    if (ctx.flexible) w.uvarint(items.length + 1);
    else w.int32(items.length);
    const elementType = field.type.slice(2);
    for (const item of items) {
      if (isStructType(elementType, field)) writeStruct(w, ctx, structFields(ctx, field), item as Obj);
      else writeScalar(w, ctx, field, elementType, item, false);
    }
    return;
  }
  if (isStructType(field.type, field)) {
    if (nullable) {
      w.int8(value === null ? -1 : 1);
      if (value === null) return;
    }
    writeStruct(w, ctx, structFields(ctx, field), value as Obj);
    return;
  }
  writeScalar(w, ctx, field, field.type, value, nullable);
}

const scalarTypes = new Set(['bool', 'int8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'float64', 'uuid', 'string', 'bytes', 'records']);

function isStructType(type: string, field: SpecField): boolean {
  return !scalarTypes.has(type) || field.fields !== undefined;
}

function writeStruct(w: Writer, ctx: Ctx, fields: SpecField[], obj: Obj): void {
  const tagged: { tag: number; write: (sub: Writer) => void }[] = [];
  for (const field of fields) {
    if (!isPresent(ctx, field)) continue;
    const value = obj[camel(field.name)];
    if (isTagged(ctx, field)) {
      if (value !== undefined) tagged.push({ tag: field.tag!, write: (sub) => writeValue(sub, ctx, field, value) });
      continue;
    }
    if (value === undefined) throw new Error(`${ctx.spec.name} v${ctx.version}: missing ${field.name}`);
    writeValue(w, ctx, field, value);
  }
  if (ctx.flexible) w.taggedFields(tagged.sort((a, b) => a.tag - b.tag));
}

export function specEncode(spec: MessageSpec, version: number, obj: Obj): Uint8Array {
  const w = new Writer(64);
  const ctx = { spec, version, flexible: inRange(spec.flexibleVersions, version) };
  writeStruct(w, ctx, spec.fields, obj);
  return w.finish();
}

// ---- decode -------------------------------------------------------------------------------------

function readScalar(r: Reader, ctx: Ctx, field: SpecField, type: string, nullable: boolean): Value {
  const compact = ctx.flexible && field.flexibleVersions !== 'none';
  switch (type) {
    case 'bool': return r.bool();
    case 'int8': return r.int8();
    case 'int16': return r.int16();
    case 'uint16': return r.int16() & 0xffff;
    case 'int32': return r.int32();
    case 'uint32': return r.uint32();
    case 'int64': return r.int64();
    case 'float64': return r.float64();
    case 'uuid': return r.uuid();
    case 'string':
      if (compact) return nullable ? r.compactNullableString() : r.compactString();
      return nullable ? r.nullableString() : r.string();
    case 'bytes':
    case 'records':
      if (compact) return nullable ? r.compactNullableBytes() : r.compactBytes();
      return nullable ? r.nullableBytes() : r.bytes();
    default:
      throw new Error(`unknown scalar type ${type}`);
  }
}

function readValue(r: Reader, ctx: Ctx, field: SpecField): Value {
  const nullable = inRange(field.nullableVersions, ctx.version);
  if (field.type.startsWith('[]')) {
    const elementType = field.type.slice(2);
    const readOne = (e: Reader): Value =>
      isStructType(elementType, field) ? readStruct(e, ctx, structFields(ctx, field)) : readScalar(e, ctx, field, elementType, false);
    if (ctx.flexible) return nullable ? r.compactNullableArray(1, readOne) : r.compactArray(1, readOne);
    return nullable ? r.nullableArray(1, readOne) : r.array(1, readOne);
  }
  if (isStructType(field.type, field)) {
    if (nullable && r.int8() < 0) return null;
    return readStruct(r, ctx, structFields(ctx, field));
  }
  return readScalar(r, ctx, field, field.type, nullable);
}

function readStruct(r: Reader, ctx: Ctx, fields: SpecField[]): Obj {
  const obj: Obj = {};
  for (const field of fields) {
    if (!isPresent(ctx, field) || isTagged(ctx, field)) continue;
    obj[camel(field.name)] = readValue(r, ctx, field);
  }
  if (ctx.flexible) {
    r.taggedFields((tag, sub) => {
      const field = fields.find((f) => isPresent(ctx, f) && isTagged(ctx, f) && f.tag === tag);
      if (field === undefined) return false;
      obj[camel(field.name)] = readValue(sub, ctx, field);
      return true;
    });
  }
  return obj;
}

export function specDecode(spec: MessageSpec, version: number, bytes: Uint8Array): Obj {
  const r = new Reader(bytes);
  const obj = readStruct(r, { spec, version, flexible: inRange(spec.flexibleVersions, version) }, spec.fields);
  r.expectEnd();
  return obj;
}

// ---- arbitraries --------------------------------------------------------------------------------

const text = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.string({ unit: 'grapheme', maxLength: 6 }),
);

function scalarArbitrary(type: string): fc.Arbitrary<Value> {
  switch (type) {
    case 'bool': return fc.boolean();
    case 'int8': return fc.integer({ min: -128, max: 127 });
    case 'int16': return fc.integer({ min: -32768, max: 32767 });
    case 'uint16': return fc.integer({ min: 0, max: 65535 });
    case 'int32': return fc.integer({ min: -2147483648, max: 2147483647 });
    case 'uint32': return fc.integer({ min: 0, max: 0xffffffff });
    case 'int64': return fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n });
    case 'float64': return fc.double({ noNaN: true });
    case 'uuid': return fc.uint8Array({ minLength: 16, maxLength: 16 });
    case 'string': return text;
    case 'bytes': return fc.uint8Array({ maxLength: 16 });
    case 'records': return fc.uint8Array({ maxLength: 700 });
    default: throw new Error(`unknown scalar type ${type}`);
  }
}

function valueArbitrary(ctx: Ctx, field: SpecField, withTagged: boolean, depth: number): fc.Arbitrary<Value> {
  const nullable = inRange(field.nullableVersions, ctx.version);
  let arb: fc.Arbitrary<Value>;
  if (field.type.startsWith('[]')) {
    const elementType = field.type.slice(2);
    const element = isStructType(elementType, field)
      ? structArbitrary(ctx, structFields(ctx, field), withTagged, depth + 1)
      : scalarArbitrary(elementType);
    arb = fc.array(element, { maxLength: depth >= 2 ? 2 : 3 });
  } else if (isStructType(field.type, field)) {
    arb = structArbitrary(ctx, structFields(ctx, field), withTagged, depth + 1);
  } else {
    arb = scalarArbitrary(field.type);
  }
  return nullable ? fc.option(arb, { nil: null, freq: 4 }) : arb;
}

function structArbitrary(ctx: Ctx, fields: SpecField[], withTagged: boolean, depth: number): fc.Arbitrary<Obj> {
  const model: Record<string, fc.Arbitrary<Value>> = {};
  for (const field of fields) {
    if (!isPresent(ctx, field)) continue;
    if (isTagged(ctx, field) && !withTagged) continue;
    const arb = valueArbitrary(ctx, field, withTagged, depth);
    model[camel(field.name)] = isTagged(ctx, field) ? fc.option(arb, { nil: undefined }) : arb;
  }
  return fc.record(model) as fc.Arbitrary<Obj>;
}

/** Valid messages of one version. Tagged fields are omitted unless withTagged. */
export function specArbitrary(spec: MessageSpec, version: number, withTagged = false): fc.Arbitrary<Obj> {
  const ctx = { spec, version, flexible: inRange(spec.flexibleVersions, version) };
  return structArbitrary(ctx, spec.fields, withTagged, 0);
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
  return true;
}
