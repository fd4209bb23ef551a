import { parquetMetadataAsync, parquetSchema, type AsyncBuffer, type FileMetaData, type SchemaTree } from 'hyparquet';
import type { Cell, ColumnKind, ColumnMeta, ParquetColumnInfo } from '../../../shared/contract/index.js';
import { parquetTextRows } from '../../../shared/node/parquet.js';

export interface ParquetSample {
  metadata: FileMetaData;
  rowCount: number;
  columns: ParquetColumnInfo[];
  gridColumns: ColumnMeta[];
  rows: Cell[][];
}

/** Parquet's physical type and annotation as a reader shows it: INT64 TIMESTAMP(MICROS, UTC), BYTE_ARRAY STRING, … */
export function parquetTypeText(node: SchemaTree): string {
  const e = node.element;
  if (node.children.length) return `GROUP${e.logical_type ? ` ${e.logical_type.type}` : e.converted_type ? ` ${e.converted_type}` : ''}`;
  const logical = e.logical_type;
  let annotation = '';
  if (logical) {
    if (logical.type === 'DECIMAL') annotation = `DECIMAL(${logical.precision}, ${logical.scale})`;
    else if (logical.type === 'TIMESTAMP' || logical.type === 'TIME')
      annotation = `${logical.type}(${logical.unit}${logical.isAdjustedToUTC ? ', UTC' : ''})`;
    else if (logical.type === 'INTEGER') annotation = `INT(${logical.bitWidth}${logical.isSigned ? '' : ', unsigned'})`;
    else annotation = logical.type;
  } else if (e.converted_type) {
    annotation = e.converted_type === 'DECIMAL' ? `DECIMAL(${e.precision ?? 0}, ${e.scale ?? 0})` : e.converted_type;
  }
  const physical = e.type === 'FIXED_LEN_BYTE_ARRAY' ? `FIXED_LEN_BYTE_ARRAY(${e.type_length ?? 0})` : (e.type ?? 'UNKNOWN');
  return annotation ? `${physical} ${annotation}` : physical;
}

/**
 * The Redshift type COPY … FORMAT AS PARQUET loads a column into. Strings get a
 * VARCHAR wide enough for the longest value sampled, with room to grow.
 */
export function redshiftTypeOf(node: SchemaTree, longestSample = 0): string {
  const e = node.element;
  if (node.children.length) return 'SUPER';
  const logical = e.logical_type;
  const converted = e.converted_type;
  const decimal =
    logical?.type === 'DECIMAL'
      ? { p: logical.precision, s: logical.scale }
      : converted === 'DECIMAL'
        ? { p: e.precision ?? 38, s: e.scale ?? 0 }
        : undefined;
  if (decimal) return decimal.p <= 38 ? `DECIMAL(${decimal.p},${decimal.s})` : 'VARCHAR(128)';
  switch (e.type) {
    case 'BOOLEAN':
      return 'BOOLEAN';
    case 'INT32':
      if (logical?.type === 'DATE' || converted === 'DATE') return 'DATE';
      if (logical?.type === 'TIME' || converted === 'TIME_MILLIS') return 'TIME';
      if (logical?.type === 'INTEGER')
        return logical.bitWidth <= 16 && logical.isSigned ? 'SMALLINT' : logical.isSigned || logical.bitWidth < 32 ? 'INTEGER' : 'BIGINT';
      if (converted === 'INT_8' || converted === 'INT_16') return 'SMALLINT';
      if (converted === 'UINT_32') return 'BIGINT';
      return 'INTEGER';
    case 'INT64':
      // Redshift keeps timestamps without a zone; Parquet's UTC-adjusted ones are loaded as UTC.
      if (logical?.type === 'TIMESTAMP' || converted === 'TIMESTAMP_MILLIS' || converted === 'TIMESTAMP_MICROS') return 'TIMESTAMP';
      if (logical?.type === 'TIME' || converted === 'TIME_MICROS') return 'TIME';
      if ((logical?.type === 'INTEGER' && !logical.isSigned) || converted === 'UINT_64') return 'DECIMAL(20,0)';
      return 'BIGINT';
    case 'INT96':
      return 'TIMESTAMP';
    case 'FLOAT':
      return 'REAL';
    case 'DOUBLE':
      return 'DOUBLE PRECISION';
    case 'BYTE_ARRAY':
    case 'FIXED_LEN_BYTE_ARRAY': {
      if (logical?.type === 'JSON' || converted === 'JSON') return 'SUPER';
      if (logical?.type === 'UUID') return 'CHAR(36)';
      const text = logical?.type === 'STRING' || logical?.type === 'ENUM' || converted === 'UTF8' || converted === 'ENUM';
      if (!text) return e.type === 'FIXED_LEN_BYTE_ARRAY' ? `VARBYTE(${e.type_length ?? 1})` : 'VARBYTE(65535)';
      return `VARCHAR(${varcharWidth(longestSample)})`;
    }
    default:
      return 'VARCHAR(256)';
  }
}

/** Twice the longest value seen, rounded up to a power of two, at least 32 and at most Redshift's 65535 bytes. */
export function varcharWidth(longest: number): number {
  if (longest <= 0) return 256;
  let width = 32;
  while (width < longest * 2 && width < 65_535) width *= 2;
  return Math.min(width, 65_535);
}

const kindOf = (redshiftType: string): ColumnKind => {
  if (/^(SMALLINT|INTEGER|BIGINT)$/.test(redshiftType)) return 'int';
  if (redshiftType.startsWith('DECIMAL')) return 'decimal';
  if (redshiftType === 'REAL' || redshiftType === 'DOUBLE PRECISION') return 'float';
  if (redshiftType === 'BOOLEAN') return 'bool';
  if (redshiftType === 'DATE') return 'date';
  if (redshiftType === 'TIMESTAMP') return 'timestamp';
  if (redshiftType === 'TIME') return 'time';
  if (redshiftType === 'SUPER') return 'json';
  if (redshiftType.startsWith('VARBYTE')) return 'binary';
  return 'text';
};

/**
 * A Parquet object's schema (from its footer) and its first rows as exact
 * text: what the S3 browser previews and the COPY wizard builds a table from.
 * Reads go through the AsyncBuffer, so over S3 only ranged GETs of the footer
 * and of the first row group are made.
 */
export async function sampleParquet(file: AsyncBuffer, maxRows = 100): Promise<ParquetSample> {
  const metadata = await parquetMetadataAsync(file);
  const top = parquetSchema(metadata).children;
  const rows: Cell[][] = [];
  if (maxRows > 0) {
    for await (const fields of parquetTextRows(file, metadata)) {
      rows.push(fields);
      if (rows.length >= maxRows) break;
    }
  }
  const columns = top.map((child, index): ParquetColumnInfo => {
    const longest = rows.reduce((max, row) => Math.max(max, row[index] ? Buffer.byteLength(row[index]) : 0), 0);
    return {
      name: child.element.name,
      parquetType: parquetTypeText(child),
      redshiftType: redshiftTypeOf(child, longest),
      nullable: child.element.repetition_type !== 'REQUIRED',
    };
  });
  return {
    metadata,
    rowCount: Number(metadata.num_rows),
    columns,
    gridColumns: columns.map((c) => ({ name: c.name, type: c.parquetType, kind: kindOf(c.redshiftType) })),
    rows,
  };
}

const quoteIdent = (name: string) => (/^[a-z_][a-z0-9_]*$/.test(name) ? name : `"${name.replace(/"/g, '""')}"`);

/** Names that say "one client, user or account": what analytical queries group and join by. */
const DIST_NAMES = ['client_ip', 'client_id', 'user_id', 'customer_id', 'account_id', 'session_id', 'device_id'];

/**
 * Sensible keys for a table: SORTKEY on the first timestamp or date column
 * (time-range filters skip blocks by zone maps), DISTKEY on a column that
 * names a client, user or account (GROUP BY and joins stay on one slice);
 * no such column: DISTSTYLE AUTO.
 */
export function suggestKeys(columns: ParquetColumnInfo[]): { distKey?: string; sortKey?: string; reasons: string[] } {
  const reasons: string[] = [];
  const sort = columns.find((c) => c.redshiftType === 'TIMESTAMP') ?? columns.find((c) => c.redshiftType === 'DATE');
  if (sort)
    reasons.push(
      `SORTKEY (${sort.name}): queries filter on time ranges; sorted by ${sort.name}, Redshift skips blocks outside the range, and newer loads append in order.`,
    );
  const dist =
    DIST_NAMES.map((name) => columns.find((c) => c.name.toLowerCase() === name)).find(Boolean) ??
    columns.find((c) => /_id$/i.test(c.name) && !/^(record|event|request|row)_id$/i.test(c.name) && !c.redshiftType.startsWith('SUPER'));
  if (dist)
    reasons.push(
      `DISTKEY (${dist.name}): aggregations and joins by ${dist.name} run on each slice without redistributing rows; its many values spread rows evenly.`,
    );
  else reasons.push('DISTSTYLE AUTO: no column names a client, user or account to distribute by; Redshift picks and adapts the style.');
  return { ...(dist ? { distKey: dist.name } : {}), ...(sort ? { sortKey: sort.name } : {}), reasons };
}

/** CREATE TABLE for COPY … FORMAT AS PARQUET: the columns in the file's order (COPY matches by position). */
export function createTableDdl(
  table: string,
  columns: ParquetColumnInfo[],
  keys: { distKey?: string; sortKey?: string },
  schema?: string,
): string {
  const name = schema ? `${quoteIdent(schema)}.${quoteIdent(table)}` : quoteIdent(table);
  const width = Math.max(...columns.map((c) => quoteIdent(c.name).length));
  const lines = columns.map((c) => `  ${quoteIdent(c.name).padEnd(width)}  ${c.redshiftType}${c.nullable ? '' : ' NOT NULL'}`);
  const tail = [
    keys.distKey ? `DISTSTYLE KEY\nDISTKEY (${quoteIdent(keys.distKey)})` : 'DISTSTYLE AUTO',
    ...(keys.sortKey ? [`COMPOUND SORTKEY (${quoteIdent(keys.sortKey)})`] : []),
  ];
  return `CREATE TABLE IF NOT EXISTS ${name} (\n${lines.join(',\n')}\n)\n${tail.join('\n')};`;
}
