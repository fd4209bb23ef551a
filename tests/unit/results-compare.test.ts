import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareDecimalText, compareFloatText, keyComparator } from '../../electron/core/results/compare.js';

const sign = (n: number) => Math.sign(n);

describe('compareDecimalText', () => {
  it('orders by sign, integer digits, then digits, exactly past 2^53', () => {
    const ordered = [
      '-Infinity',
      '-9223372036854775808',
      '-10.5',
      '-10.25',
      '-2',
      '-0.001',
      '0',
      '0.0000000001',
      '0.5',
      '1',
      '1.0000000000000000000000000001',
      '9.99',
      '10',
      '9223372036854775806',
      '9223372036854775807',
      '12345678901234567890123456789.0123456789',
      'Infinity',
      'NaN',
    ];
    for (let i = 0; i < ordered.length; i++) {
      for (let j = 0; j < ordered.length; j++) {
        expect(sign(compareDecimalText(ordered[i]!, ordered[j]!)), `${ordered[i]} vs ${ordered[j]}`).toBe(sign(i - j));
      }
    }
  });

  it('treats equal values in different spellings as equal', () => {
    expect(compareDecimalText('1.50', '1.5')).toBe(0);
    expect(compareDecimalText('-0', '0.000')).toBe(0);
    expect(compareDecimalText('007', '7')).toBe(0);
    expect(compareDecimalText('+3', '3')).toBe(0);
  });

  it('agrees with BigInt arithmetic on scaled decimals', () => {
    const decimal = fc.tuple(fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }), fc.integer({ min: 0, max: 12 }));
    const text = ([unscaled, scale]: [bigint, number]) => {
      const digits = (unscaled < 0n ? -unscaled : unscaled).toString().padStart(scale + 1, '0');
      const body = scale === 0 ? digits : `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
      return unscaled < 0n ? `-${body}` : body;
    };
    fc.assert(
      fc.property(decimal, decimal, (a, b) => {
        const common = Math.max(a[1], b[1]);
        const x = a[0] * 10n ** BigInt(common - a[1]);
        const y = b[0] * 10n ** BigInt(common - b[1]);
        expect(sign(compareDecimalText(text(a), text(b)))).toBe(x < y ? -1 : x > y ? 1 : 0);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('compareFloatText', () => {
  it('compares as numbers with NaN last', () => {
    expect(compareFloatText('1e3', '999.5')).toBe(1);
    expect(compareFloatText('-Infinity', '-1e308')).toBe(-1);
    expect(compareFloatText('NaN', 'Infinity')).toBe(1);
    expect(compareFloatText('NaN', 'NaN')).toBe(0);
  });
});

describe('keyComparator', () => {
  it('sorts by several keys with nulls last in both directions', () => {
    const rows: (string | null)[][] = [
      ['b', '10'],
      [null, '1'],
      ['a', '9'],
      ['b', null],
      ['a', '10'],
      ['b', '2'],
    ];
    const asc = keyComparator(
      ['text', 'int'],
      [
        { column: 0, descending: false },
        { column: 1, descending: true },
      ],
    );
    expect([...rows].sort(asc)).toEqual([
      ['a', '10'],
      ['a', '9'],
      ['b', '10'],
      ['b', '2'],
      ['b', null],
      [null, '1'],
    ]);
    const desc = keyComparator(['text'], [{ column: 0, descending: true }]);
    expect([...rows].sort(desc).map((row) => row[0])).toEqual(['b', 'b', 'b', 'a', 'a', null]);
  });
});
