import { closeSync, createReadStream, openSync, writeSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { FieldDef } from 'pg';

/** The Data API's union for one value. */
export type DataApiField =
  | { isNull: true }
  | { stringValue: string }
  | { longValue: number }
  | { doubleValue: number }
  | { booleanValue: boolean }
  | { blobValue: string };

export interface ColumnMetadata {
  name: string;
  label: string;
  typeName: string;
  length: number;
  precision: number;
  scale: number;
  nullable: number;
  isCaseSensitive: boolean;
  isCurrency: boolean;
  isSigned: boolean;
  schemaName: string;
  tableName: string;
}

const LONGS = new Set([20, 21, 23, 26]);
const DOUBLES = new Set([700, 701]);
const SIGNED = new Set([20, 21, 23, 700, 701, 1700]);
const CASE_SENSITIVE = new Set([18, 19, 25, 1042, 1043]);

/** A text value from PostgreSQL as the Data API's Field, by column type. */
export function toField(value: string | null, typeOid: number): DataApiField {
  if (value === null) return { isNull: true };
  if (typeOid === 16) return { booleanValue: value === 't' || value === 'true' };
  if (LONGS.has(typeOid)) return { longValue: Number(value) };
  if (DOUBLES.has(typeOid)) {
    const number = Number(value);
    return Number.isFinite(number) ? { doubleValue: number } : { stringValue: value };
  }
  if (typeOid === 17) return { blobValue: Buffer.from(value.replace(/^\\x/, ''), 'hex').toString('base64') };
  return { stringValue: value };
}

export function columnMetadata(field: FieldDef, typeNames: Map<number, string>): ColumnMetadata {
  const modifier = field.dataTypeModifier;
  const numeric = field.dataTypeID === 1700 && modifier > 4;
  const sized = CASE_SENSITIVE.has(field.dataTypeID) && modifier > 4;
  return {
    name: field.name,
    label: field.name,
    typeName: typeNames.get(field.dataTypeID) ?? String(field.dataTypeID),
    length: sized ? modifier - 4 : 0,
    precision: numeric ? (modifier - 4) >> 16 : sized ? modifier - 4 : Math.max(field.dataTypeSize, 0),
    scale: numeric ? (modifier - 4) & 0xffff : 0,
    nullable: 1,
    isCaseSensitive: CASE_SENSITIVE.has(field.dataTypeID),
    isCurrency: field.dataTypeID === 790,
    isSigned: SIGNED.has(field.dataTypeID),
    schemaName: '',
    tableName: '',
  };
}

/**
 * A statement's result rows on disk, one JSON array of Fields per line, so a
 * large result costs no memory and pages are read from a byte offset.
 */
export class ResultFile {
  private fd: number | undefined;
  private pending: string[] = [];
  private pendingBytes = 0;
  rows = 0;
  bytes = 0;

  constructor(readonly path: string) {
    this.fd = openSync(path, 'w', 0o600);
  }

  add(fields: DataApiField[]): void {
    const line = JSON.stringify(fields) + '\n';
    this.pending.push(line);
    this.pendingBytes += line.length;
    this.rows++;
    this.bytes += Buffer.byteLength(line);
    if (this.pendingBytes >= 256 * 1024) this.flush();
  }

  close(): void {
    this.flush();
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  private flush(): void {
    if (this.fd === undefined || this.pending.length === 0) return;
    writeSync(this.fd, this.pending.join(''));
    this.pending = [];
    this.pendingBytes = 0;
  }
}

/** Up to `maxRows` rows (or about `maxBytes`) from byte `offset`; `next` is the offset after them, if rows remain. */
export async function readPage(
  path: string,
  offset: number,
  maxRows: number,
  maxBytes: number,
): Promise<{ records: DataApiField[][]; next?: number }> {
  const stream = createReadStream(path, { start: offset });
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  const records: DataApiField[][] = [];
  let position = offset;
  let bytes = 0;
  let more = false;
  try {
    for await (const line of lines) {
      if (records.length >= maxRows || (bytes >= maxBytes && records.length > 0)) {
        more = true;
        break;
      }
      records.push(JSON.parse(line) as DataApiField[]);
      const size = Buffer.byteLength(line) + 1;
      position += size;
      bytes += size;
    }
  } finally {
    lines.close();
    stream.destroy();
  }
  return more ? { records, next: position } : { records };
}
