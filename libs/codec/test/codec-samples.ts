// Shared by the codec's specs only: sample values and fast-check arbitraries. Kept outside src/ so the library
// build never compiles it (it imports fast-check, a dev dependency).
import fc from 'fast-check';
import { TypedFieldValue, type FieldTable, type FieldValue } from '../src/field-table.js';
import { METHOD_DEFINITIONS, type ArgType, type Method, type MethodDefinition } from '../src/generated/methods.js';

/** A non-default sample value per argument type (every bit set, every number far from zero). */
export const SAMPLE_VALUES: Record<ArgType, unknown> = {
  octet: 0xab,
  short: 0xbeef,
  long: 0xdead_beef,
  longlong: Number.MAX_SAFE_INTEGER,
  timestamp: 1_700_000_000,
  shortstr: 'ünïcödé-✓',
  longstr: Buffer.from([0, 1, 2, 0xce, 0xff]),
  bit: true,
  table: { 'x-max-length': 10, nested: { list: [1, 'two', null, true] } },
};

/** Builds the method a definition describes, taking each argument's value from valueOf. */
export function buildMethod(def: MethodDefinition, valueOf: (type: ArgType, index: number) => unknown): Method {
  const method: Record<string, unknown> = { name: def.name, classId: def.classId, methodId: def.methodId };
  def.args.forEach((arg, i) => (method[arg.field] = valueOf(arg.type, i)));
  return method as unknown as Method;
}

/** One sample per method, with non-default values for every argument. */
export const SAMPLE_METHODS: Method[] = METHOD_DEFINITIONS.map((def) => buildMethod(def, (type) => SAMPLE_VALUES[type]));

const shortstr = fc.string({ unit: 'grapheme', maxLength: 40 }).filter((s) => Buffer.byteLength(s) <= 255);

/** Arbitrary TypedFieldValue within each tag's range. */
export const typedValueArb: fc.Arbitrary<TypedFieldValue> = fc.oneof(
  fc.integer({ min: 0, max: 255 }).map((v) => new TypedFieldValue('t', v)),
  fc.integer({ min: -128, max: 127 }).map((v) => new TypedFieldValue('b', v)),
  fc.integer({ min: 0, max: 255 }).map((v) => new TypedFieldValue('B', v)),
  fc.integer({ min: -32768, max: 32767 }).map((v) => new TypedFieldValue('s', v)),
  fc.integer({ min: 0, max: 65535 }).map((v) => new TypedFieldValue('u', v)),
  fc.integer().map((v) => new TypedFieldValue('I', v)),
  fc.integer({ min: 0, max: 0xffff_ffff }).map((v) => new TypedFieldValue('i', v)),
  fc.maxSafeInteger().map((v) => new TypedFieldValue('l', v)),
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map((v) => new TypedFieldValue('l', v)),
  fc.float().map((v) => new TypedFieldValue('f', v)),
  fc.double().map((v) => new TypedFieldValue('d', v)),
  fc.record({ scale: fc.integer({ min: 0, max: 255 }), value: fc.integer() }).map((d) => new TypedFieldValue('D', d)),
  fc.maxSafeNat().map((v) => new TypedFieldValue('T', v)),
  fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map((v) => new TypedFieldValue('T', v)),
  fc.constant(new TypedFieldValue('V', 0)),
);

/** Arbitrary FieldValue, nested at most a few levels. */
export const fieldValueArb: fc.Arbitrary<FieldValue> = fc.letrec<{ value: FieldValue; table: FieldTable }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.boolean(),
    fc.integer(),
    fc.maxSafeInteger(),
    fc.double(),
    fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
    fc.string({ unit: 'binary', maxLength: 50 }),
    fc.uint8Array({ maxLength: 20 }).map((a) => Buffer.from(a)),
    fc.constant(null),
    typedValueArb,
    tie('table'),
    fc.array(tie('value'), { maxLength: 4 }),
  ),
  table: fc.dictionary(fc.string({ unit: 'binary', maxLength: 20 }), tie('value'), { maxKeys: 5 }),
})).value;

/** Arbitrary FieldTable (plain-object keys in any unicode). */
export const fieldTableArb: fc.Arbitrary<FieldTable> = fc.dictionary(fc.string({ unit: 'binary', maxLength: 20 }), fieldValueArb, {
  maxKeys: 6,
});

/** Arbitrary value for a method argument of the given wire type. */
export function argArb(type: ArgType): fc.Arbitrary<unknown> {
  switch (type) {
    case 'octet':
      return fc.integer({ min: 0, max: 0xff });
    case 'short':
      return fc.integer({ min: 0, max: 0xffff });
    case 'long':
      return fc.integer({ min: 0, max: 0xffff_ffff });
    case 'longlong':
    case 'timestamp':
      return fc.maxSafeNat();
    case 'shortstr':
      return shortstr;
    case 'longstr':
      return fc.uint8Array({ maxLength: 64 }).map((a) => Buffer.from(a));
    case 'bit':
      return fc.boolean();
    case 'table':
      return fieldTableArb;
  }
}

/** Arbitrary method of the given definition. */
export function methodArb(def: MethodDefinition): fc.Arbitrary<Method> {
  return fc.tuple(...def.args.map((a) => argArb(a.type))).map((values) => buildMethod(def, (_t, i) => values[i]));
}

/** Hex of a buffer, for readable equality failures. */
export const hex = (b: Buffer): string => b.toString('hex');

/** Buffer from a hex string with optional spaces. */
export const fromHex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');
