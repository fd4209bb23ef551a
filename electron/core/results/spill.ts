import { randomBytes } from 'node:crypto';
import { mkdir, open, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { Field, makeData, RecordBatch, Schema, Struct, Table, tableFromIPC, tableToIPC, Utf8, type Data } from 'apache-arrow';
import type { Cell, ColumnMeta } from '../../../shared/contract/operations/workbench.js';
import { AppError } from '../../../shared/errors.js';

/**
 * A chunk of rows as one self-contained Arrow IPC stream: a utf8 column per
 * result column with its null bitmap, the engine's type name and kind in the
 * field metadata. Self-contained so any chunk decodes on its own from
 * (offset, length), at the price of a repeated schema of a few hundred bytes.
 */
export function encodeChunk(columns: readonly ColumnMeta[], rows: readonly (readonly Cell[])[] | PackedChunk): Uint8Array {
  const packed = rows instanceof PackedChunk ? rows : PackedChunk.pack(rows, columns.length);
  const fields = columns.map(
    (column) =>
      new Field(
        column.name,
        new Utf8(),
        true,
        new Map([
          ['tributary.type', column.type],
          ['tributary.kind', column.kind],
        ]),
      ),
  );
  const schema = new Schema(fields);
  const children = columns.map((_, c) => utf8Column(packed, c));
  const struct = makeData({ type: new Struct(fields), length: packed.length, nullCount: 0, children });
  return tableToIPC(new Table([new RecordBatch(schema, struct)]), 'stream');
}

interface PackedColumn {
  /** Every present cell's UTF-8, one after another: exactly an Arrow utf8 column's data. */
  data: Buffer;
  /** Where row r's cell is in `data`: [offsets[r], offsets[r + 1]). */
  offsets: Int32Array;
  /** Bit r set when row r's cell is present; absent when no cell is null. */
  valid: Uint8Array | undefined;
  /** Every byte is ASCII, so a cell reads back as latin1, the cheapest decoding. */
  ascii: boolean;
}

/**
 * Rows packed by column into the bytes an Arrow utf8 column holds, outside
 * V8's heap. The newest rows are packed in small pieces, so the engine's row
 * arrays and strings die young; a chunk waiting in memory is then a few
 * buffers rather than an array and a string per cell that V8 would promote
 * and collect at length, and spilling it is one copy.
 */
export class PackedChunk {
  /** What this holds in memory. */
  readonly bytes: number;

  private constructor(
    private readonly columns: PackedColumn[],
    readonly length: number,
  ) {
    let bytes = 64;
    for (const column of columns) bytes += column.data.byteLength + column.offsets.byteLength + (column.valid?.byteLength ?? 0) + 64;
    this.bytes = bytes;
  }

  static pack(rows: readonly (readonly Cell[])[], columnCount: number): PackedChunk {
    const columns: PackedColumn[] = [];
    for (let c = 0; c < columnCount; c++) columns.push(packColumn(rows, c));
    return new PackedChunk(columns, rows.length);
  }

  /** One chunk of the pieces' rows, in order. */
  static concat(pieces: readonly PackedChunk[]): PackedChunk {
    const length = pieces.reduce((sum, piece) => sum + piece.length, 0);
    const columns: PackedColumn[] = [];
    for (let c = 0; c < (pieces[0]?.columns.length ?? 0); c++) {
      const parts = pieces.map((piece) => piece.columns[c]!);
      const offsets = new Int32Array(length + 1);
      const anyNull = parts.some((part) => part.valid !== undefined);
      const valid = anyNull ? new Uint8Array((length + 7) >> 3) : undefined;
      let row = 0;
      let shift = 0;
      for (const [i, part] of parts.entries()) {
        const rows = pieces[i]!.length;
        for (let r = 1; r <= rows; r++) offsets[row + r] = part.offsets[r]! + shift;
        if (valid) {
          for (let r = 0; r < rows; r++)
            if (!part.valid || part.valid[r >> 3]! & (1 << (r & 7))) valid[(row + r) >> 3]! |= 1 << ((row + r) & 7);
        }
        row += rows;
        shift += part.data.byteLength;
      }
      const data = Buffer.concat(
        parts.map((part) => part.data),
        shift,
      );
      columns.push({ data, offsets, valid, ascii: parts.every((part) => part.ascii) });
    }
    return new PackedChunk(columns, length);
  }

  column(column: number): PackedColumn | undefined {
    return this.columns[column];
  }

  cell(row: number, column: number): Cell {
    const col = this.columns[column];
    if (!col || (col.valid && (col.valid[row >> 3]! & (1 << (row & 7))) === 0)) return null;
    return col.data.toString(col.ascii ? 'latin1' : 'utf8', col.offsets[row], col.offsets[row + 1]);
  }

  row(row: number): Cell[] {
    const cells: Cell[] = new Array<Cell>(this.columns.length);
    for (let c = 0; c < this.columns.length; c++) cells[c] = this.cell(row, c);
    return cells;
  }
}

function packColumn(rows: readonly (readonly Cell[])[], column: number): PackedColumn {
  const length = rows.length;
  const parts = new Array<string>(length);
  const offsets = new Int32Array(length + 1);
  const valid = new Uint8Array((length + 7) >> 3);
  let nulls = 0;
  let at = 0;
  for (let r = 0; r < length; r++) {
    const cell = rows[r]![column] ?? null;
    if (cell === null) {
      nulls++;
      parts[r] = '';
    } else {
      parts[r] = cell;
      at += cell.length;
      valid[r >> 3]! |= 1 << (r & 7);
    }
    offsets[r + 1] = at;
  }
  // One conversion for the whole column; only ASCII has as many UTF-8 bytes as UTF-16 units.
  const text = parts.join('');
  let data = Buffer.from(text, 'utf8');
  const ascii = data.byteLength === text.length;
  if (!ascii) {
    // Cell by cell, so each is encoded as itself (a lone surrogate at a cell's edge stays that cell's).
    let bytes = 0;
    for (let r = 0; r < length; r++) bytes += parts[r]!.length > 0 ? Buffer.byteLength(parts[r]!, 'utf8') : 0;
    data = Buffer.allocUnsafe(bytes);
    let written = 0;
    for (let r = 0; r < length; r++) {
      if (parts[r]!.length > 0) written += data.write(parts[r]!, written, 'utf8');
      offsets[r + 1] = written;
    }
  }
  return { data, offsets, valid: nulls > 0 ? valid : undefined, ascii };
}

function utf8Column(packed: PackedChunk, column: number): Data<Utf8> {
  const length = packed.length;
  const col = packed.column(column)!;
  const nullCount = col.valid ? length - countBits(col.valid, length) : 0;
  const data = new Uint8Array(col.data.buffer, col.data.byteOffset, col.data.byteLength);
  return makeData({ type: new Utf8(), length, nullCount, nullBitmap: col.valid ?? new Uint8Array(0), valueOffsets: col.offsets, data });
}

function countBits(bitmap: Uint8Array, length: number): number {
  let count = 0;
  for (let r = 0; r < length; r++) if (bitmap[r >> 3]! & (1 << (r & 7))) count++;
  return count;
}

/** A decoded chunk: cells are made into strings only when read, so a window costs what it shows. */
export class DecodedChunk {
  private readonly columns: { offsets: Int32Array; text: Buffer; valid: Uint8Array | undefined; base: number }[];
  readonly length: number;
  /** Roughly what this holds in memory, for the cache's bound. */
  readonly bytes: number;

  constructor(ipc: Uint8Array) {
    const table = tableFromIPC(ipc);
    const batch = table.batches[0];
    this.length = batch?.numRows ?? 0;
    this.bytes = ipc.byteLength;
    this.columns = (batch?.data.children ?? []).map((child) => {
      const data = child as Data<Utf8>;
      const values = data.values;
      return {
        offsets: data.valueOffsets,
        text: Buffer.from(values.buffer, values.byteOffset, values.byteLength),
        valid: data.nullCount > 0 ? data.nullBitmap : undefined,
        base: data.offset,
      };
    });
  }

  cell(row: number, column: number): Cell {
    const col = this.columns[column];
    if (!col) return null;
    const i = row + col.base;
    if (col.valid && (col.valid[i >> 3]! & (1 << (i & 7))) === 0) return null;
    return col.text.toString('utf8', col.offsets[i], col.offsets[i + 1]);
  }

  row(row: number): Cell[] {
    const cells: Cell[] = new Array<Cell>(this.columns.length);
    for (let c = 0; c < this.columns.length; c++) cells[c] = this.cell(row, c);
    return cells;
  }

  rows(from: number, to: number): Cell[][] {
    const out: Cell[][] = [];
    for (let r = from; r < to; r++) out.push(this.row(r));
    return out;
  }
}

export interface SpillLocation {
  offset: number;
  length: number;
}

/**
 * One append-only file of encoded chunks under the spill directory, made on
 * first use. Writes go one after another at offsets handed out up front, so a
 * chunk's place is known before its bytes land; reads use positioned I/O.
 */
export class SpillFile {
  private handle: Promise<FileHandle> | undefined;
  private size = 0;
  private closed = false;
  readonly path: string;

  constructor(
    private readonly dir: string,
    prefix: string,
  ) {
    this.path = join(dir, `${prefix}-${randomBytes(6).toString('hex')}.arrows`);
  }

  private file(): Promise<FileHandle> {
    if (this.closed) return Promise.reject(new AppError('NOT_FOUND', 'That result is gone (released)'));
    this.handle ??= mkdir(this.dir, { recursive: true, mode: 0o700 })
      .then(() => open(this.path, 'w+', 0o600))
      .catch((error: unknown) => {
        throw new AppError('STORAGE', `Cannot write query results to ${this.dir}: ${(error as Error).message}`);
      });
    return this.handle;
  }

  /** Claims the next place in the file and writes the bytes there. */
  append(bytes: Uint8Array): { location: SpillLocation; written: Promise<void> } {
    const location = { offset: this.size, length: bytes.byteLength };
    this.size += bytes.byteLength;
    const written = this.file().then(async (handle) => {
      let done = 0;
      while (done < bytes.byteLength) {
        const { bytesWritten } = await handle.write(bytes, done, bytes.byteLength - done, location.offset + done);
        done += bytesWritten;
      }
    });
    return { location, written };
  }

  async read(location: SpillLocation): Promise<Uint8Array> {
    const handle = await this.file();
    const buffer = Buffer.allocUnsafe(location.length);
    let done = 0;
    while (done < location.length) {
      const { bytesRead } = await handle.read(buffer, done, location.length - done, location.offset + done);
      if (bytesRead === 0) throw new AppError('STORAGE', `The spill file ${this.path} is shorter than expected`);
      done += bytesRead;
    }
    return buffer;
  }

  async delete(): Promise<void> {
    this.closed = true;
    const handle = this.handle;
    this.handle = undefined;
    if (handle) await handle.then((h) => h.close()).catch(() => undefined);
    await rm(this.path, { force: true });
  }
}
