import type { ColumnMeta } from '../../../shared/contract/operations/workbench.js';
import { csvHeader, csvRow, jsonlEncoder } from './encoders.js';
import { exportFile, type ExportFormat } from './export-file.js';
import { writeParquet } from './parquet.js';
import type { Segment } from './segment.js';

/** Bytes per encoded export write: large enough to be cheap, small enough to keep memory flat. */
const EXPORT_WRITE_BYTES = 1 << 20;

/** What an export reads: the columns, a pass over the rows that follows a running query to its end, and that end. */
export interface ExportSource {
  columns: ColumnMeta[];
  scan(signal: AbortSignal): AsyncIterable<Segment>;
  whenComplete(signal: AbortSignal): Promise<void>;
}

/**
 * Writes the whole result to `path` (through `<path>.partial`, renamed at
 * the end). CSV and JSON Lines follow the rows as they arrive; Parquet waits
 * for the result to complete, because it settles its column types first.
 */
export function exportRows(
  source: ExportSource,
  format: ExportFormat,
  path: string,
  signal: AbortSignal,
  onProgress: (rows: number, bytes: number) => void,
): Promise<{ rows: number; bytes: number }> {
  const { columns } = source;
  return exportFile(path, signal, async (sink) => {
    if (format === 'parquet') {
      await source.whenComplete(signal);
      return writeParquet({ columns, scan: () => source.scan(signal) }, sink, onProgress);
    }
    const encode = format === 'csv' ? csvRow : jsonlEncoder(columns);
    let rows = 0;
    let text = format === 'csv' ? csvHeader(columns) : '';
    for await (const segment of source.scan(signal)) {
      for (let i = 0; i < segment.count; i++) {
        text += encode(segment.row(i));
        rows++;
        if (text.length >= EXPORT_WRITE_BYTES) {
          await sink.write(text);
          text = '';
          onProgress(rows, sink.bytes);
        }
      }
    }
    await sink.write(text);
    onProgress(rows, sink.bytes);
    return { rows, bytes: sink.bytes };
  });
}
