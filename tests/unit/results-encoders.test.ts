import { describe, expect, it } from 'vitest';
import type { ColumnMeta } from '../../shared/contract/index.js';
import { csvField, csvHeader, csvRow, distinctNames, jsonlEncoder } from '../../electron/core/results/encoders.js';
import { decimalShape, unscaledDecimal } from '../../electron/core/results/parquet.js';

const col = (name: string, kind: ColumnMeta['kind'], type = kind as string): ColumnMeta => ({ name, type, kind });

describe('CSV as PostgreSQL COPY … CSV writes it', () => {
  it('leaves NULL empty and quotes the empty string', () => {
    expect(csvRow([null, '', 'x'])).toBe(',"",x\n');
  });

  it('quotes comma, quote, CR and LF, doubling quotes', () => {
    expect(csvField('a,b', false)).toBe('"a,b"');
    expect(csvField('say "hi"', false)).toBe('"say ""hi"""');
    expect(csvField('line\nbreak', false)).toBe('"line\nbreak"');
    expect(csvField('carriage\rreturn', false)).toBe('"carriage\rreturn"');
    expect(csvField(' padded ', false)).toBe(' padded ');
    expect(csvField('tab\there', false)).toBe('tab\there');
    expect(csvField('back\\slash', false)).toBe('back\\slash');
  });

  it('quotes \\. only when it is alone on its line', () => {
    expect(csvRow(['\\.'])).toBe('"\\."\n');
    expect(csvRow(['\\.', '1'])).toBe('\\.,1\n');
  });

  it('writes the header through the same rules', () => {
    expect(csvHeader([col('id', 'int'), col('a,b', 'text'), col('say "x"', 'text')])).toBe('id,"a,b","say ""x"""\n');
  });
});

describe('JSON Lines', () => {
  const encode = jsonlEncoder([
    col('n', 'int', 'int8'),
    col('d', 'decimal', 'numeric(38,10)'),
    col('f', 'float', 'float8'),
    col('b', 'bool'),
    col('j', 'json', 'jsonb'),
    col('t', 'text'),
    col('n', 'int', 'int4'),
  ]);

  it('keeps numbers as the engine printed them and types the rest', () => {
    const line = encode(['9223372036854775807', '12345678901234567890123456789.0123456789', '1.5e-7', 't', '{"a": [1, 2]}', 'x"y', '1']);
    expect(line).toBe(
      '{"n":9223372036854775807,"d":12345678901234567890123456789.0123456789,"f":1.5e-7,"b":true,"j":{"a": [1, 2]},"t":"x\\"y","n_2":1}\n',
    );
  });

  it('writes NaN and Infinity as strings and NULL as null', () => {
    expect(JSON.parse(encode(['-0', 'NaN', 'Infinity', 'false', null, null, null]))).toEqual({
      n: -0,
      d: 'NaN',
      f: 'Infinity',
      b: false,
      j: null,
      t: null,
      n_2: null,
    });
  });

  it('keeps a json value with line breaks on one line', () => {
    const line = encode([null, null, null, null, '{\n"a":\r\n1}', 'two\nlines', null]);
    expect(line.split('\n')).toHaveLength(2);
    expect(JSON.parse(line)).toMatchObject({ j: { a: 1 }, t: 'two\nlines' });
  });

  it('dedupes names as name, name_2, name_3', () => {
    expect(distinctNames([col('a', 'text'), col('a', 'text'), col('a_2', 'text'), col('a', 'text')])).toEqual(['a', 'a_2', 'a_2_2', 'a_3']);
  });
});

describe('Parquet decimals', () => {
  it('reads precision and scale from the type name', () => {
    expect(decimalShape('numeric(38,10)')).toEqual({ precision: 38, scale: 10 });
    expect(decimalShape('decimal(12)')).toEqual({ precision: 12, scale: 0 });
    expect(decimalShape('numeric')).toBeUndefined();
  });

  it('makes the exact unscaled integer, or refuses', () => {
    expect(unscaledDecimal('-1234567890123456789012345678.0123456789', 38, 10)).toBe(-12345678901234567890123456780123456789n);
    expect(unscaledDecimal('1.5000', 5, 2)).toBe(150n);
    expect(unscaledDecimal('1.505', 5, 2)).toBeUndefined();
    expect(unscaledDecimal('NaN', 5, 2)).toBeUndefined();
    expect(unscaledDecimal('1000', 5, 2)).toBeUndefined();
  });
});
