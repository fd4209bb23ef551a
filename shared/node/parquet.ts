import {
  parquetMetadataAsync,
  parquetReadObjects,
  parquetSchema,
  type AsyncBuffer,
  type FileMetaData,
  type SchemaElement,
} from 'hyparquet';
import { compressors } from 'hyparquet-compressors';

/** A timestamp kept as its integer count of units, so no precision is lost on the way to text. */
class RawTimestamp {
  constructor(
    readonly value: bigint,
    readonly perSecond: bigint,
  ) {}
}

const decoder = new TextDecoder();

/** hyparquet would turn timestamps into Dates (milliseconds) and JSON into objects; keep both exact instead. */
const parsers = {
  timestampFromMilliseconds: (value: bigint) => new RawTimestamp(BigInt(value), 1000n),
  timestampFromMicroseconds: (value: bigint) => new RawTimestamp(BigInt(value), 1_000_000n),
  timestampFromNanoseconds: (value: bigint) => new RawTimestamp(BigInt(value), 1_000_000_000n),
  dateFromDays: (days: number) => new Date(days * 86_400_000).toISOString().slice(0, 10),
  jsonFromBytes: (bytes: Uint8Array) => bytes && decoder.decode(bytes),
};

/**
 * The rows of a Parquet object as exact text, one value per top-level column (null for null), for
 * the sandbox's COPY and the app's Parquet preview alike: int64 and decimals from their integers,
 * timestamps with all their digits, binary as hex. `metadata` saves reading the footer twice.
 */
export async function* parquetTextRows(file: AsyncBuffer, metadata?: FileMetaData): AsyncGenerator<(string | null)[]> {
  const original = metadata ?? (await parquetMetadataAsync(file));
  const top = parquetSchema(original).children;
  const raw = withRawDecimals(original);
  const formats = top.map((child) => formatter(child.element));
  let rowStart = 0;
  for (const group of original.row_groups) {
    const rowEnd = rowStart + Number(group.num_rows);
    const rows = (await parquetReadObjects({ file, metadata: raw, rowStart, rowEnd, compressors, utf8: false, parsers })) as Record<
      string,
      unknown
    >[];
    for (const row of rows) yield top.map((child, index) => formats[index]!(row[child.element.name]));
    rowStart = rowEnd;
  }
}

/** Metadata with DECIMAL annotations removed, so hyparquet hands over the unscaled integers (it would make them floats). */
function withRawDecimals(metadata: FileMetaData): FileMetaData {
  return {
    ...metadata,
    schema: metadata.schema.map((element) => {
      if (!isDecimal(element)) return element;
      const { converted_type: _c, logical_type: _l, ...rest } = element;
      return rest;
    }),
  };
}

function isDecimal(element: SchemaElement): boolean {
  return element.converted_type === 'DECIMAL' || element.logical_type?.type === 'DECIMAL';
}

function formatter(element: SchemaElement): (value: unknown) => string | null {
  if (isDecimal(element)) {
    const scale = element.scale ?? (element.logical_type?.type === 'DECIMAL' ? element.logical_type.scale : 0) ?? 0;
    return (value) => (value === null || value === undefined ? null : decimalText(unscaled(value), scale));
  }
  const utc =
    element.logical_type?.type === 'TIMESTAMP'
      ? element.logical_type.isAdjustedToUTC
      : element.converted_type?.startsWith('TIMESTAMP') || element.type === 'INT96';
  const binary =
    (element.type === 'BYTE_ARRAY' || element.type === 'FIXED_LEN_BYTE_ARRAY') && !element.converted_type && !element.logical_type;
  return (value) => text(value, utc === true, binary);
}

function text(value: unknown, utc: boolean, binary: boolean): string | null {
  if (value === null || value === undefined) return null;
  if (value instanceof RawTimestamp) return timestampText(value) + (utc ? '+00' : '');
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number')
    return Number.isNaN(value) ? 'NaN' : value === Infinity ? 'Infinity' : value === -Infinity ? '-Infinity' : String(value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'string') return value;
  if (value instanceof Uint8Array) return binary ? `\\x${Buffer.from(value).toString('hex')}` : decoder.decode(value);
  if (value instanceof Date) return value.toISOString();
  return JSON.stringify(value, (_key, inner: unknown) =>
    typeof inner === 'bigint'
      ? inner.toString()
      : inner instanceof RawTimestamp
        ? timestampText(inner)
        : inner instanceof Uint8Array
          ? Buffer.from(inner).toString('hex')
          : inner,
  );
}

function unscaled(value: unknown): bigint {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number') return BigInt(value);
  const bytes = value as Uint8Array;
  let result = 0n;
  for (const byte of bytes) result = (result << 8n) | BigInt(byte);
  // Two's complement, big-endian, as Parquet stores decimals in bytes.
  if (bytes.length && bytes[0]! & 0x80) result -= 1n << BigInt(bytes.length * 8);
  return result;
}

function decimalText(value: bigint, scale: number): string {
  const negative = value < 0n;
  const digits = (negative ? -value : value).toString().padStart(scale + 1, '0');
  const whole = scale ? `${digits.slice(0, -scale)}.${digits.slice(-scale)}` : digits;
  return negative ? `-${whole}` : whole;
}

function timestampText(timestamp: RawTimestamp): string {
  const { value, perSecond } = timestamp;
  let seconds = value / perSecond;
  let fraction = value % perSecond;
  if (fraction < 0n) {
    seconds -= 1n;
    fraction += perSecond;
  }
  const base = new Date(Number(seconds) * 1000).toISOString().slice(0, 19).replace('T', ' ');
  const width = perSecond.toString().length - 1;
  return `${base}.${fraction.toString().padStart(width, '0')}`;
}
