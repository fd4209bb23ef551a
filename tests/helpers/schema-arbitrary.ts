import fc from 'fast-check';
import { z } from 'zod';

interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
}

/**
 * Inputs for one operation, derived from its zod schema: values that fit each
 * field, values just past each bound, values of the wrong type, missing and
 * extra keys, and arbitrary JSON. Most are invalid; enough are valid that both
 * answers are exercised.
 */
export function inputsFor(schema: z.ZodType): fc.Arbitrary<unknown> {
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  return fc.oneof({ weight: 6, arbitrary: fromSchema(json) }, { weight: 1, arbitrary: fc.jsonValue() });
}

function fromSchema(schema: JsonSchema, depth = 0): fc.Arbitrary<unknown> {
  const wrong = fc.oneof(fc.constant(null), fc.boolean(), fc.integer(), fc.double(), fc.string(), fc.constant([]), fc.constant({}));
  return fc.oneof({ weight: 5, arbitrary: fitting(schema, depth) }, { weight: 1, arbitrary: wrong });
}

function fitting(schema: JsonSchema, depth: number): fc.Arbitrary<unknown> {
  if (schema.anyOf) return fc.oneof(...schema.anyOf.map((s) => fromSchema(s, depth + 1)));
  if (schema.enum) return fc.oneof(fc.constantFrom(...schema.enum), fc.string({ maxLength: 12 }));
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (type) {
    case 'integer':
    case 'number': {
      const min = schema.minimum ?? -1e6;
      const max = schema.maximum ?? 1e6;
      return fc.oneof(
        type === 'integer'
          ? fc.integer({ min: Math.max(min, -(2 ** 31)), max: Math.min(max, 2 ** 31) })
          : fc.double({ min, max, noNaN: true }),
        fc.constantFrom(min - 1, max + 1, min + 0.5, Number.MAX_SAFE_INTEGER * 4, -0),
      );
    }
    case 'string': {
      const maxLength = schema.maxLength ?? 64;
      const tries = [
        fc.string({ minLength: schema.minLength ?? 0, maxLength: Math.min(maxLength, 40) }),
        fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,20}$/),
        fc.constantFrom('', 'x'.repeat(maxLength + 1), '../../etc/passwd', "'; DROP TABLE x; --", '\u0000', '🦆'.repeat(10), '__proto__'),
      ];
      return fc.oneof(...tries);
    }
    case 'boolean':
      return fc.boolean();
    case 'array':
      return fc.array(schema.items ? fromSchema(schema.items, depth + 1) : fc.jsonValue(), { maxLength: 4 });
    case 'object': {
      if (depth > 4) return fc.constant({});
      const props = Object.entries(schema.properties ?? {});
      const shaped = fc.record(Object.fromEntries(props.map(([key, value]) => [key, fromSchema(value, depth + 1)])), { requiredKeys: [] });
      const extra = fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 2 });
      return fc.oneof(
        { weight: 4, arbitrary: shaped },
        { weight: 1, arbitrary: fc.tuple(shaped, extra).map(([a, b]) => ({ ...b, ...a })) },
      );
    }
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}
