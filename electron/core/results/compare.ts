import type { Cell, ColumnKind, SortKey } from '../../../shared/contract/operations/workbench.js';

/** A parsed decimal text: the class orders the specials around the finite numbers as PostgreSQL does. */
interface DecimalParts {
  /** 0 -Infinity, 1 finite, 2 Infinity, 3 NaN, 4 not a number at all (ordered after NaN, by text). */
  rank: number;
  negative: boolean;
  /** Without sign or leading zeros; '' for zero. */
  integer: string;
  /** Without trailing zeros. */
  fraction: string;
}

const DECIMAL = /^([+-]?)(\d*)(?:\.(\d*))?$/;

function decimalParts(text: string): DecimalParts {
  const match = DECIMAL.exec(text);
  if (!match || (match[2] === '' && !match[3])) {
    const special = text.toLowerCase();
    if (special === 'nan') return { rank: 3, negative: false, integer: '', fraction: '' };
    if (special === 'infinity' || special === '+infinity' || special === 'inf')
      return { rank: 2, negative: false, integer: '', fraction: '' };
    if (special === '-infinity' || special === '-inf') return { rank: 0, negative: true, integer: '', fraction: '' };
    return { rank: 4, negative: false, integer: '', fraction: '' };
  }
  const integer = (match[2] ?? '').replace(/^0+/, '');
  const fraction = (match[3] ?? '').replace(/0+$/, '');
  // -0 and -0.000 are zero, which has no sign.
  const negative = match[1] === '-' && (integer !== '' || fraction !== '');
  return { rank: 1, negative, integer, fraction };
}

/**
 * Orders two decimal texts exactly, however many digits they have: by sign,
 * then by the count of integer digits, then digit by digit. Going through a
 * JS number would tie 9223372036854775806 with 9223372036854775807.
 */
export function compareDecimalText(a: string, b: string): number {
  const x = decimalParts(a);
  const y = decimalParts(b);
  if (x.rank !== y.rank) return x.rank - y.rank;
  if (x.rank === 4) return compareText(a, b);
  if (x.rank !== 1) return 0;
  if (x.negative !== y.negative) return x.negative ? -1 : 1;
  const magnitude = compareMagnitude(x, y);
  return x.negative && magnitude !== 0 ? -magnitude : magnitude;
}

function compareMagnitude(x: DecimalParts, y: DecimalParts): number {
  if (x.integer.length !== y.integer.length) return x.integer.length - y.integer.length;
  if (x.integer !== y.integer) return x.integer < y.integer ? -1 : 1;
  // Fractions without trailing zeros compare as plain digit strings: '5' > '49'.
  if (x.fraction === y.fraction) return 0;
  return x.fraction < y.fraction ? -1 : 1;
}

/** Number() reads NaN, Infinity and exponents; NaN sorts after every number, as in PostgreSQL. */
export function compareFloatText(a: string, b: string): number {
  const x = Number(a);
  const y = Number(b);
  const xNaN = Number.isNaN(x);
  const yNaN = Number.isNaN(y);
  if (xNaN || yNaN) return xNaN === yNaN ? 0 : xNaN ? 1 : -1;
  return x < y ? -1 : x > y ? 1 : 0;
}

const TRUE = new Set(['t', 'true', '1', 'yes', 'y', 'on']);

function compareBoolText(a: string, b: string): number {
  return Number(TRUE.has(a.toLowerCase())) - Number(TRUE.has(b.toLowerCase()));
}

/** UTF-16 code unit order: what the engines' ISO dates and timestamps (and plain C collation) need, and cheap. */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function comparatorFor(kind: ColumnKind): (a: string, b: string) => number {
  switch (kind) {
    case 'int':
    case 'decimal':
      return compareDecimalText;
    case 'float':
      return compareFloatText;
    case 'bool':
      return compareBoolText;
    default:
      return compareText;
  }
}

/**
 * Compares rows' key cells (one per sort key, in the keys' order). NULLs go
 * last whichever the direction, so they never push the values out of sight.
 */
export function keyComparator(kinds: ColumnKind[], sort: SortKey[]): (a: Cell[], b: Cell[]) => number {
  const parts = sort.map((key, i) => ({ compare: comparatorFor(kinds[i] ?? 'text'), sign: key.descending ? -1 : 1 }));
  return (a, b) => {
    for (let i = 0; i < parts.length; i++) {
      const x = a[i] ?? null;
      const y = b[i] ?? null;
      if (x === y) continue;
      if (x === null) return 1;
      if (y === null) return -1;
      const part = parts[i]!;
      const order = part.compare(x, y);
      if (order !== 0) return order * part.sign;
    }
    return 0;
  };
}
