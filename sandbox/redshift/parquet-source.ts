import { parquetMetadataAsync, parquetSchema, type AsyncBuffer } from 'hyparquet';
import { parquetTextRows } from '../../shared/node/parquet.js';
import type { SourceRecord, TargetColumn } from './load-sources.js';

/** Rows of a Parquet object as text for COPY, matched to the table's columns by position as Redshift does. */
export async function* parquetRecords(file: AsyncBuffer, columns: TargetColumn[]): AsyncGenerator<SourceRecord> {
  const metadata = await parquetMetadataAsync(file);
  const top = parquetSchema(metadata).children;
  if (top.length !== columns.length) {
    yield {
      error: {
        code: 1202,
        reason: `Unmatched number of columns between table and file. Table columns: ${columns.length}, Data columns: ${top.length}`,
      },
      line: 1,
      raw: top.map((child) => child.element.name).join(','),
    };
    return;
  }
  let line = 0;
  for await (const fields of parquetTextRows(file, metadata))
    yield { fields, line: ++line, raw: fields.map((field) => field ?? '').join('|') };
}
