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
export function encodeChunk(columns: readonly ColumnMeta[], rows: readonly (readonly Cell[])[]): Uint8Array {
  const fields = columns.map((column) => new Field(column.name, new Utf8(), true, new Map([['tributary.type', column.type], ['tributary.kind', column.kind]])));
  const schema = new Schema(fields);
  const children = columns.map((_, c) => utf8Column(rows, c));
  const struct = makeData({ type: new Struct(fields), length: rows.length, nullCount: 0, children });
  return tableToIPC(new Table([new RecordBatch(schema, struct)]), 'stream');
}

function utf8Column(rows: readonly (readonly Cell[])[], column: number): Data<Utf8> {
  const length = rows.length;
  let bytes = 0;
  let nulls = 0;
  for (let r = 0; r < length; r++) {
    const cell = rows[r]![column] ?? null;
    if (cell === null) nulls++;
    else bytes += Buffer.byteLength(cell, 'utf8');
  }
  const data = Buffer.allocUnsafe(bytes);
  const valueOffsets = new Int32Array(length + 1);
  const nullBitmap = new Uint8Array(nulls > 0 ? (length + 7) >> 3 : 0);
  let at = 0;
  for (let r = 0; r < length; r++) {
    const cell = rows[r]![column] ?? null;
    if (cell !== null) {
      at += data.write(cell, at, 'utf8');
      if (nulls > 0) nullBitmap[r >> 3]! |= 1 << (r & 7);
    }
    valueOffsets[r + 1] = at;
  }
  return makeData({ type: new Utf8(), length, nullCount: nulls, nullBitmap, valueOffsets, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) });
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
