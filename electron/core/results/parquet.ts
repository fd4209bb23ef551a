import { ByteWriter, ParquetWriter } from 'hyparquet-writer';
import type { Cell, ColumnMeta } from '../../../shared/contract/operations/workbench.js';
import { distinctNames } from './encoders.js';
import type { ExportSink } from './export-file.js';

type SchemaElement = ConstructorParameters<typeof ParquetWriter>[0]['schema'][number];

/** Rows per row group; with the writer's buffer this bounds the export's memory. */
const ROW_GROUP_ROWS = 65_536;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** How one result column becomes a Parquet column: its schema element and the conversion of each text. */
interface ColumnPlan {
  element: Omit<SchemaElement, 'name'>;
  /** Undefined when the text cannot be stored exactly in this type (the column then falls back to UTF8). */
  convert(text: string): unknown;
}

const utf8Plan: ColumnPlan = {
  element: { type: 'BYTE_ARRAY', converted_type: 'UTF8', logical_type: { type: 'STRING' }, repetition_type: 'OPTIONAL' },
  convert: (text) => text,
};

const INTEGER = /^[+-]?\d+$/;

function int64(text: string): bigint | undefined {
  if (!INTEGER.test(text)) return undefined;
  const value = BigInt(text);
  return value >= INT64_MIN && value <= INT64_MAX ? value : undefined;
}

/** numeric(38,10) → precision 38, scale 10; numeric(12) → scale 0; an unconstrained numeric has neither. */
export function decimalShape(type: string): { precision: number; scale: number } | undefined {
  const match = /\(\s*(\d+)\s*(?:,\s*(\d+)\s*)?\)/.exec(type);
  if (!match) return undefined;
  const precision = Number(match[1]);
  const scale = Number(match[2] ?? 0);
  return precision >= 1 && scale <= precision ? { precision, scale } : undefined;
}

/** The unscaled integer of a decimal text at `scale`, if it is exactly representable with `precision` digits. */
export function unscaledDecimal(text: string, precision: number, scale: number): bigint | undefined {
  const match = /^([+-]?)(\d+)(?:\.(\d+))?$/.exec(text);
  if (!match) return undefined;
  const fraction = (match[3] ?? '').replace(/0+$/, '');
  if (fraction.length > scale) return undefined;
  const value = BigInt(`${match[1]}${match[2]}${fraction.padEnd(scale, '0')}`);
  const limit = 10n ** BigInt(precision);
  return value < limit && value > -limit ? value : undefined;
}

/** Smallest two's-complement byte width holding every unscaled value of `precision` digits. */
function decimalBytes(precision: number): number {
  const max = 10n ** BigInt(precision) - 1n;
  let bytes = 1;
  while (2n ** BigInt(8 * bytes - 1) <= max) bytes++;
  return bytes;
}

const DAY_MS = 86_400_000;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?(Z|[+-]\d{2}(?::?\d{2}(?::?\d{2})?)?)?$/;

/** Milliseconds of a proleptic Gregorian UTC date-time; Date.UTC alone would read years 0-99 as 1900-1999. */
function utcMillis(year: number, month: number, day: number, hour = 0, minute = 0, second = 0): number | undefined {
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, 0);
  const valid =
    date.getUTCFullYear() === year &&
    date.getUTCMonth() === month - 1 &&
    date.getUTCDate() === day &&
    date.getUTCHours() === hour &&
    date.getUTCMinutes() === minute &&
    date.getUTCSeconds() === second;
  return valid ? date.getTime() : undefined;
}

function days(text: string): number | undefined {
  const match = DATE.exec(text);
  if (!match) return undefined;
  const millis = utcMillis(Number(match[1]), Number(match[2]), Number(match[3]));
  return millis === undefined ? undefined : millis / DAY_MS;
}

/** Microseconds since the epoch; a zone offset is required for timestamptz and refused for timestamp. */
function micros(text: string, zoned: boolean): bigint | undefined {
  const match = TIMESTAMP.exec(text);
  if (!match || (match[8] !== undefined) !== zoned) return undefined;
  const millis = utcMillis(Number(match[1]), Number(match[2]), Number(match[3]), Number(match[4]), Number(match[5]), Number(match[6]));
  if (millis === undefined) return undefined;
  let offsetSeconds = 0;
  const zone = match[8];
  if (zone && zone !== 'Z') {
    const digits = zone.slice(1).replace(/:/g, '');
    offsetSeconds =
      (zone[0] === '-' ? -1 : 1) *
      (Number(digits.slice(0, 2)) * 3600 + Number(digits.slice(2, 4) || 0) * 60 + Number(digits.slice(4, 6) || 0));
  }
  return BigInt(millis) * 1000n + BigInt((match[7] ?? '').padEnd(6, '0')) - BigInt(offsetSeconds) * 1_000_000n;
}

const FLOAT = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$|^[+-]?Infinity$|^NaN$/;

/** The exact Parquet type for a column's kind, where one exists; everything else is UTF8 text. */
export function parquetPlan(column: ColumnMeta): ColumnPlan {
  const optional = { repetition_type: 'OPTIONAL' } as const;
  switch (column.kind) {
    case 'int':
      return { element: { type: 'INT64', ...optional }, convert: int64 };
    case 'decimal': {
      const shape = decimalShape(column.type);
      if (!shape) return utf8Plan;
      const { precision, scale } = shape;
      return {
        element: {
          type: 'FIXED_LEN_BYTE_ARRAY',
          type_length: decimalBytes(precision),
          converted_type: 'DECIMAL',
          precision,
          scale,
          logical_type: { type: 'DECIMAL', precision, scale },
          ...optional,
        },
        convert: (text) => unscaledDecimal(text, precision, scale),
      };
    }
    case 'float':
      return { element: { type: 'DOUBLE', ...optional }, convert: (text) => (FLOAT.test(text) ? Number(text) : undefined) };
    case 'bool':
      return {
        element: { type: 'BOOLEAN', ...optional },
        convert: (text) => {
          const lower = text.toLowerCase();
          return lower === 't' || lower === 'true' ? true : lower === 'f' || lower === 'false' ? false : undefined;
        },
      };
    case 'date':
      return { element: { type: 'INT32', converted_type: 'DATE', logical_type: { type: 'DATE' }, ...optional }, convert: days };
    case 'timestamp':
    case 'timestamptz': {
      const zoned = column.kind === 'timestamptz';
      // The converted type TIMESTAMP_MICROS means UTC-adjusted, so only the zoned kind carries it.
      return {
        element: {
          type: 'INT64',
          ...(zoned ? { converted_type: 'TIMESTAMP_MICROS' as const } : {}),
          logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: zoned, unit: 'MICROS' },
          ...optional,
        },
        convert: (text) => micros(text, zoned),
      };
    }
    default:
      return utf8Plan;
  }
}

/** What the Parquet writer reads: the columns, and a fresh pass over the rows each time it asks. */
export interface ParquetSource {
  columns: ColumnMeta[];
  scan(): AsyncIterable<{ count: number; cell(row: number, column: number): Cell }>;
}

/**
 * Writes Parquet in row groups, each flushed to the file before the next is
 * built. A first pass checks that every value of a typed column converts
 * exactly ('infinity' dates, BC timestamps, NaN in a numeric(p,s)); a column
 * with one that does not is written as UTF8 rather than lose it.
 */
export async function writeParquet(
  source: ParquetSource,
  sink: ExportSink,
  onProgress: (rows: number, bytes: number) => void,
): Promise<{ rows: number; bytes: number }> {
  const plans = source.columns.map(parquetPlan);
  const typed = plans.map((plan, i) => (plan === utf8Plan ? -1 : i)).filter((i) => i >= 0);
  if (typed.length > 0) {
    for await (const segment of source.scan()) {
      for (const c of typed) {
        if (plans[c] === utf8Plan) continue;
        for (let r = 0; r < segment.count; r++) {
          const cell = segment.cell(r, c);
          if (cell !== null && plans[c]!.convert(cell) === undefined) {
            plans[c] = utf8Plan;
            break;
          }
        }
      }
    }
  }
  const names = distinctNames(source.columns);
  const schema: SchemaElement[] = [
    { name: 'root', num_children: plans.length },
    ...plans.map((plan, i) => ({ ...plan.element, name: names[i]! })),
  ];
  const writer = new SinkWriter(sink);
  const parquet = new ParquetWriter({
    writer,
    schema,
    kvMetadata: source.columns.map((column, i) => ({ key: `tributary.column.${i}`, value: JSON.stringify(column) })),
    createdBy: 'tributary',
  });
  let values: unknown[][] = plans.map(() => []);
  let buffered = 0;
  let rows = 0;
  const flushGroup = async () => {
    if (buffered === 0) return;
    await parquet.write({ columnData: plans.map((_, i) => ({ name: names[i]!, data: values[i]! as never })), rowGroupSize: buffered });
    rows += buffered;
    values = plans.map(() => []);
    buffered = 0;
    onProgress(rows, sink.bytes);
  };
  for await (const segment of source.scan()) {
    for (let r = 0; r < segment.count; r++) {
      for (let c = 0; c < plans.length; c++) {
        const cell = segment.cell(r, c);
        values[c]!.push(cell === null ? null : plans[c]!.convert(cell));
      }
      if (++buffered >= ROW_GROUP_ROWS) await flushGroup();
    }
  }
  await flushGroup();
  await parquet.finish();
  onProgress(rows, sink.bytes);
  return { rows, bytes: sink.bytes };
}

/** hyparquet-writer's in-memory writer, emptied into the export file after every row group and at the end. */
class SinkWriter extends ByteWriter {
  constructor(private readonly sink: ExportSink) {
    super(1 << 20);
  }

  flush(): Promise<void> {
    // A copy: the writer reuses its buffer as soon as this returns.
    const bytes = new Uint8Array(this.buffer.slice(0, this.index));
    this.index = 0;
    return this.sink.write(bytes);
  }

  override finish(): Promise<void> {
    return this.flush();
  }
}
