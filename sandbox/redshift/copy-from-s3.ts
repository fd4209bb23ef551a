import { createGunzip } from 'node:zlib';
import type { Readable } from 'node:stream';
import type { Backend } from './backend.js';
import { CommandError, type CopyCommand } from './commands.js';
import { quoteIdent, quoteLiteral } from './lexer.js';
import { csvLine, csvRecords, jsonRecords, refuseNul, textRecords, type SourceRecord, type TargetColumn } from './load-sources.js';
import { parquetRecords } from './parquet-source.js';
import type { ProxyContext } from './proxy-context.js';
import { listObjects, manifestObjects, objectStream, s3AsyncBuffer, type S3Object } from './s3-objects.js';
import type { LoadError, LoadHistory, SessionInfo } from './system-tables.js';
import {
  copyData,
  copyDone,
  copyFail,
  cstring,
  errorResponse,
  frame,
  notice,
  parseDataRow,
  parseErrorFields,
  type ErrorFields,
} from './wire.js';

const BATCH_BYTES = 64 * 1024;
/** Raw input kept to explain a rejected line; PostgreSQL reports an error at most a few socket buffers behind. */
const RECENT_BYTES = 16 * 1024 * 1024;

/**
 * COPY from S3, carried out on the client's own backend: the objects under the
 * prefix are read, turned into CSV and fed to `COPY ... FROM STDIN`, so the
 * load belongs to the client's transaction. Returns false when it failed (the
 * client has the error; the caller sends ReadyForQuery). Once the table is
 * known, the load has a row in SYS_LOAD_HISTORY, whatever its outcome.
 */
export async function copyFromS3(command: CopyCommand, backend: Backend, context: ProxyContext, session: SessionInfo): Promise<boolean> {
  const described = await describeTable(command, backend);
  if ('error' in described) {
    await backend.toClient(errorResponse(described.error.message ?? 'COPY failed', described.error.code));
    return false;
  }
  const history = new HistoryRow(command, context, session);
  try {
    return await load(command, described.columns, backend, context, history);
  } catch (error) {
    // A missing prefix or an S3 listing failure (statement errors on Redshift, with no load error row), or a
    // connection gone mid-load, which gets one: the load ends here.
    if (!history.finished) await history.finish('aborted', 0, lostConnection(command, error));
    throw error;
  }
}

async function load(
  command: CopyCommand,
  columns: TargetColumn[],
  backend: Backend,
  context: ProxyContext,
  history: HistoryRow,
): Promise<boolean> {
  const stats = history.stats;
  const listed = command.manifest ? await manifestObjects(context.s3, command.source) : await listObjects(context.s3, command.source);
  // Spark and Hive leave _SUCCESS markers and .crc files beside their Parquet; a columnar COPY skips them.
  const objects =
    command.format === 'parquet' && !command.manifest
      ? listed.filter((object) => object.size > 0 && !/(^|\/)[_.][^/]*$/.test(object.key))
      : listed;
  if (objects.length === 0) throw new CommandError(`The specified S3 prefix '${command.source.key}' does not exist`, 'XX000');
  stats.sourceFileCount = objects.length;
  stats.sourceFileBytes = objects.reduce((sum, object) => sum + object.size, 0);

  const options = command.maxError > 0 ? `, ON_ERROR ignore, REJECT_LIMIT ${command.maxError}, LOG_VERBOSITY verbose` : '';
  // One simple Query is one implicit transaction: the id read first is the COPY's, for SYS_LOAD_HISTORY.transaction_id.
  const copy = `COPY ${command.table} (${columns.map((column) => quoteIdent(column.name)).join(', ')}) FROM STDIN WITH (FORMAT csv${options})`;
  await backend.send(frame('Q', cstring(`SELECT pg_current_xact_id()::text; ${copy}`)));
  for (;;) {
    const message = await backend.next();
    if (message.type === 'G') break;
    if (message.type === 'D') stats.transactionId = parseDataRow(message.body)[0] ?? undefined;
    if (message.type === 'E') {
      await history.finish('aborted', 0, []);
      await backend.toClient(message.frame);
      while ((await backend.next()).type !== 'Z');
      return false;
    }
  }

  const server = { error: undefined as ErrorFields | undefined, tag: '', skipped: [] as ErrorFields[] };
  const replies = (async () => {
    for (;;) {
      const message = await backend.next();
      if (message.type === 'Z') return;
      if (message.type === 'E') server.error = parseErrorFields(message.body);
      else if (message.type === 'C') server.tag = message.body.toString('utf8', 0, message.body.length - 1);
      else if (message.type === 'N') {
        const notice = parseErrorFields(message.body);
        if (/^skipping row/i.test(notice.message ?? '')) server.skipped.push(notice);
      }
    }
  })();
  // Awaited below, unless the connection goes away first: then nobody does, and its rejection is that same loss.
  replies.catch(() => undefined);

  const sendBatch = (text: string) => {
    const data = Buffer.from(text, 'utf8');
    stats.loadedBytes += data.length;
    return backend.send(copyData(data));
  };
  const recent = new RecentLines();
  const local: LoadError[] = [];
  let failure: string | undefined;
  let batch = '';
  let reading: S3Object | undefined;
  try {
    for (const object of objects) {
      if (server.error || failure) break;
      reading = object;
      stats.filesScanned++;
      stats.bytesScanned += object.size;
      for await (const read of records(command, object, columns, context)) {
        if (server.error) break;
        const record = refuseNul(read, columns);
        if ('error' in record) {
          local.push(localError(command, object, record, columns));
          if (local.length + server.skipped.length > command.maxError) {
            failure = `${local.length + server.skipped.length} record(s) could not be loaded (MAXERROR ${command.maxError})`;
            break;
          }
          continue;
        }
        recent.add(object.url, record.line, record.raw);
        batch += csvLine(record.fields);
        if (batch.length >= BATCH_BYTES) {
          await sendBatch(batch);
          batch = '';
        }
      }
    }
    if (batch && !failure && !server.error) await sendBatch(batch);
  } catch (error) {
    if (isConnectionLoss(error)) throw error;
    failure = `${error instanceof Error ? error.message : String(error)}${reading ? ` (reading ${reading.url})` : ''}`;
  }
  if (!server.error) await backend.send(failure ? copyFail(failure) : copyDone());
  await replies;

  const errors = [...local, ...server.skipped.map((notice) => serverError(command, notice, recent, columns))];
  if (server.error && !failure) errors.push(serverError(command, server.error, recent, columns));
  if (failure && local.length === 0 && server.skipped.length === 0) {
    // Not a data error (S3 read, decompression): no row to blame.
    errors.push({ ...blank(command), file: reading?.url ?? '', reason: failure.slice(0, 512), code: 1216 });
  }
  const failed = Boolean(server.error || failure);
  const loaded = failed ? 0 : Number(/\d+$/.exec(server.tag)?.[0] ?? 0);
  const queryId = await history.finish(failed ? 'aborted' : 'completed', loaded, errors);
  if (failed) {
    const first = errors[0];
    const detail = first
      ? [
          '-----------------------------------------------',
          `error:  ${first.reason}`,
          `code:      ${first.code}`,
          `context:   ${first.rawValue || first.rawLine}`.slice(0, 200),
          `query:     ${queryId}`,
          `location:  ${first.file}:${first.line}`,
          '-----------------------------------------------',
        ].join('\n  ')
      : undefined;
    await backend.toClient(
      errorResponse(
        `Load into table '${command.tableName}' failed. Check 'sys_load_error_detail' system table for details.`,
        'XX000',
        detail ? `\n  ${detail}` : undefined,
      ),
    );
    return false;
  }
  let info = `Load into table '${command.tableName}' completed, ${loaded} record(s) loaded successfully.`;
  if (errors.length) info += ` ${errors.length} record(s) could not be loaded. Check 'sys_load_error_detail' system table for details.`;
  await backend.toClient(notice(info));
  await backend.toClient(frame('C', cstring(server.tag || 'COPY 0')));
  return true;
}

const isConnectionLoss = (error: unknown) => error instanceof Error && /connection closed|client went away/.test(error.message);

function lostConnection(command: CopyCommand, error: unknown): LoadError[] {
  return isConnectionLoss(error) ? [{ ...blank(command), code: 1216, reason: 'The connection closed during the load' }] : [];
}

/**
 * A load's row in SYS_LOAD_HISTORY: written as running when the load starts
 * (so it shows while it runs), ended as completed or aborted. Its query id is
 * the one the load's errors get.
 */
class HistoryRow {
  readonly stats: Omit<
    LoadHistory,
    'status' | 'table' | 'source' | 'format' | 'startMicros' | 'durationMicros' | 'loadedRows' | 'errorCount'
  > = {
    loadedBytes: 0,
    sourceFileCount: 0,
    sourceFileBytes: 0,
    filesScanned: 0,
    bytesScanned: 0,
  };
  finished = false;
  private readonly startedAt = performance.now();
  private readonly startMicros = BigInt(Math.round((performance.timeOrigin + this.startedAt) * 1000));
  private readonly begun: Promise<number>;

  constructor(
    private readonly command: CopyCommand,
    private readonly context: ProxyContext,
    private readonly session: SessionInfo,
  ) {
    this.begun = context.system.beginLoad(session, this.row('running', 0, 0)).catch((error: unknown) => {
      context.log.warn('sandbox.redshift', 'Could not record the start of a load', error);
      return 0;
    });
  }

  /** Ends the row and records the load errors; returns the load's query id (0 when nothing could be written). */
  async finish(status: 'completed' | 'aborted', loadedRows: number, errors: LoadError[]): Promise<number> {
    this.finished = true;
    const durationMicros = BigInt(Math.max(1, Math.round((performance.now() - this.startedAt) * 1000)));
    const id = await this.begun;
    return this.context.system
      .finishLoad(this.session, id, { ...this.row(status, loadedRows, errors.length), durationMicros }, errors)
      .catch((error: unknown) => {
        this.context.log.warn('sandbox.redshift', 'Could not record a load and its errors', error);
        return id;
      });
  }

  private row(status: LoadHistory['status'], loadedRows: number, errorCount: number): LoadHistory {
    return {
      ...this.stats,
      // An aborted load's rows went with its transaction.
      loadedBytes: status === 'aborted' ? 0 : this.stats.loadedBytes,
      status,
      table: this.command.tableName,
      source: this.command.source.url,
      format: FILE_FORMATS[this.command.format],
      startMicros: this.startMicros,
      loadedRows,
      errorCount,
    };
  }
}

/** SYS_LOAD_HISTORY.file_format, worded as AWS documents it. */
const FILE_FORMATS: Record<CopyCommand['format'], string> = { text: 'txt', csv: 'csv', json: 'json', parquet: 'parquet' };

async function describeTable(command: CopyCommand, backend: Backend): Promise<{ columns: TargetColumn[] } | { error: ErrorFields }> {
  const { rows, error } = await backend.ask(`
    SELECT a.attname, format_type(a.atttypid, a.atttypmod), t.typcategory, t.typname,
      CASE WHEN a.atttypmod > 4 AND t.typcategory = 'S' THEN (a.atttypmod - 4)::text
           WHEN t.typname = 'numeric' AND a.atttypmod > 4 THEN ((a.atttypmod - 4) >> 16)::text || ',' || ((a.atttypmod - 4) & 65535)::text
           ELSE '' END,
      (a.attidentity <> '' OR a.attgenerated <> '')::text
    FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
    WHERE a.attrelid = ${quoteLiteral(command.table)}::regclass AND a.attnum > 0 AND NOT a.attisdropped
    ORDER BY a.attnum`);
  if (error) return { error };
  const all = rows.map(([name, type, category, typeName, length, generated]) => ({
    column: { name: name!, type: type!, category: category!, typeName: typeName!, length: length ?? '' },
    generated: generated === 'true',
  }));
  if (!command.columns) return { columns: all.filter((entry) => !entry.generated).map((entry) => entry.column) };
  const columns: TargetColumn[] = [];
  for (const written of command.columns) {
    const name = written.startsWith('"') ? written.slice(1, -1).replace(/""/g, '"') : written.toLowerCase();
    const found = all.find((entry) => entry.column.name === name);
    if (!found) throw new CommandError(`column "${name}" of relation "${command.tableName}" does not exist`, '42703');
    columns.push(found.column);
  }
  return { columns };
}

async function* records(
  command: CopyCommand,
  object: S3Object,
  columns: TargetColumn[],
  context: ProxyContext,
): AsyncGenerator<SourceRecord> {
  if (command.format === 'parquet') {
    yield* parquetRecords(s3AsyncBuffer(context.s3, object), columns);
    return;
  }
  let input: Readable = await objectStream(context.s3, object.bucket, object.key);
  if (command.gzip) {
    const source = input;
    input = source.pipe(createGunzip());
    source.on('error', (error) => input.destroy(error));
  }
  if (command.format === 'json') yield* jsonRecords(input, command, columns);
  else if (command.format === 'csv') yield* csvRecords(input, command, columns);
  else yield* textRecords(input, command, columns);
}

/** Input lines recently sent to PostgreSQL, by their line number in the COPY stream. */
class RecentLines {
  private first = 1;
  private bytes = 0;
  private readonly entries: { file: string; line: number; raw: string }[] = [];

  add(file: string, line: number, raw: string): void {
    const kept = raw.slice(0, 1024);
    this.entries.push({ file, line, raw: kept });
    this.bytes += kept.length + file.length;
    while (this.bytes > RECENT_BYTES && this.entries.length > 1) {
      const dropped = this.entries.shift()!;
      this.bytes -= dropped.raw.length + dropped.file.length;
      this.first++;
    }
  }

  get(streamLine: number): { file: string; line: number; raw: string } | undefined {
    return this.entries[streamLine - this.first];
  }
}

function blank(command: CopyCommand): LoadError {
  return {
    table: command.tableName,
    file: '',
    line: 0,
    column: '',
    type: '',
    colLength: '',
    position: 0,
    rawLine: '',
    rawValue: '',
    code: 0,
    reason: '',
  };
}

function localError(
  command: CopyCommand,
  object: S3Object,
  record: Extract<SourceRecord, { error: unknown }>,
  columns: TargetColumn[],
): LoadError {
  const column = columns.find((candidate) => candidate.name === record.error.column);
  return {
    ...blank(command),
    file: object.url,
    line: record.line,
    column: column?.name ?? '',
    type: column?.typeName ?? '',
    colLength: column?.length ?? '',
    rawLine: record.raw,
    rawValue: record.error.value ?? '',
    code: record.error.code,
    reason: record.error.reason,
  };
}

/**
 * An error or skipped-row notice from PostgreSQL's COPY, traced back to the
 * S3 object and line it came from. PostgreSQL names the line of the COPY
 * stream in its context ("COPY t, line 3, column c: "v"") or, for skipped
 * rows, in the message.
 */
function serverError(command: CopyCommand, fields: ErrorFields, recent: RecentLines, columns: TargetColumn[]): LoadError {
  const text = `${fields.message ?? ''}\n${fields.where ?? ''}`;
  const context = /line (\d+)(?:,? for column "?([^":]+)"?: "([\s\S]*?)"|, column ([^:]+): "([\s\S]*?)")?/.exec(text);
  const streamLine = Number(context?.[1] ?? 0);
  const columnName = fields.column ?? context?.[2] ?? context?.[4] ?? '';
  const value = context?.[3] ?? context?.[5] ?? '';
  const source = recent.get(streamLine);
  const column = columns.find((candidate) => candidate.name === columnName);
  const reason = /^skipping row/i.test(fields.message ?? '')
    ? `Invalid value for ${column?.typeName ?? 'column'}: "${value}"`
    : (fields.message ?? 'load failed');
  return {
    ...blank(command),
    file: source?.file ?? '',
    line: source?.line ?? streamLine,
    column: column?.name ?? columnName,
    type: column?.typeName ?? '',
    colLength: column?.length ?? '',
    rawLine: source?.raw ?? '',
    rawValue: value,
    code: redshiftCode(fields, column),
    reason,
  };
}

/** Redshift's load error codes for what PostgreSQL reports. */
function redshiftCode(fields: ErrorFields, column: TargetColumn | undefined): number {
  const state = fields.code ?? '';
  if (state === '22001') return 1204;
  if (state === '23502') return 1213;
  if (state === '22P04') return /extra data/i.test(fields.message ?? '') ? 1202 : 1214;
  const kind = column?.typeName ?? '';
  if (kind === 'date') return 1205;
  if (kind.startsWith('timestamp')) return 1206;
  if (/^(int[248]|numeric|float[48])$/.test(kind)) return 1207;
  return 1216;
}
