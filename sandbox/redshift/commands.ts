import { isCode, render, type Token } from './lexer.js';

/** A Redshift-only statement the proxy carries out itself. */
export class CommandError extends Error {
  constructor(
    message: string,
    readonly code = '0A000',
  ) {
    super(message);
  }
}

export interface S3Location {
  bucket: string;
  /** The key prefix (or the manifest's key). */
  key: string;
  url: string;
}

export interface CopyCommand {
  kind: 'copy';
  /** The table as written, ready to splice into SQL. */
  table: string;
  /** The table's name without schema or quotes, for messages. */
  tableName: string;
  /** Column names as written (quoted identifiers keep their quotes). */
  columns?: string[];
  source: S3Location;
  manifest: boolean;
  format: 'text' | 'csv' | 'json' | 'parquet';
  /** JSON: 'auto' or 'auto ignorecase'. */
  json: 'auto' | 'auto ignorecase';
  delimiter?: string;
  quote: string;
  ignoreHeader: number;
  maxError: number;
  nullAs?: string;
  emptyAsNull: boolean;
  blanksAsNull: boolean;
  gzip: boolean;
  escape: boolean;
  removeQuotes: boolean;
  fillRecord: boolean;
  ignoreBlankLines: boolean;
}

export interface UnloadCommand {
  kind: 'unload';
  select: string;
  target: S3Location;
  format: 'text' | 'csv' | 'parquet';
  header: boolean;
  delimiter?: string;
  nullAs?: string;
  parallel: boolean;
  allowOverwrite: boolean;
  maxFileSize: number;
  gzip: boolean;
  manifest: boolean;
  addQuotes: boolean;
  extension?: string;
}

export type InterceptedCommand = CopyCommand | UnloadCommand;

export function parseS3Url(url: string): S3Location {
  const m = /^s3a?:\/\/([^/]+)\/?(.*)$/i.exec(url.trim());
  if (!m) throw new CommandError(`"${url}" is not an S3 location; the sandbox loads from s3://bucket/prefix only.`);
  return { bucket: m[1]!, key: m[2]!, url };
}

/** Cursor over a statement's code tokens. */
class Cursor {
  private k = 0;
  constructor(readonly tokens: Token[]) {}

  peek(offset = 0): Token | undefined {
    return this.tokens[this.k + offset];
  }

  word(offset = 0): string {
    const token = this.peek(offset);
    return token?.kind === 'word' ? token.value : '';
  }

  next(): Token | undefined {
    return this.tokens[this.k++];
  }

  done(): boolean {
    return this.k >= this.tokens.length;
  }

  optional(word: string): boolean {
    if (this.word() !== word) return false;
    this.k++;
    return true;
  }

  string(what: string): string {
    const token = this.next();
    if (token?.kind !== 'string') throw new CommandError(`${what} needs a quoted string`, '42601');
    return token.value;
  }

  number(what: string): number {
    const token = this.next();
    const value = Number(token?.text);
    if (token?.kind !== 'number' || !Number.isFinite(value)) throw new CommandError(`${what} needs a number`, '42601');
    return value;
  }
}

/**
 * Recognises `COPY ... FROM 's3://...'` and `UNLOAD (...) TO 's3://...'`.
 * Returns undefined for every other statement, which then goes to PostgreSQL.
 */
export function parseIntercepted(statement: Token[]): InterceptedCommand | undefined {
  const code = statement.filter(isCode);
  const first = code[0]?.kind === 'word' ? code[0].value : '';
  if (first === 'copy') {
    const from = code.findIndex((token, index) => token.kind === 'word' && token.value === 'from' && code[index + 1]?.kind === 'string');
    if (from === -1) return undefined;
    const url = code[from + 1]!.value;
    if (!/^[a-z0-9]+:\/\//i.test(url)) return undefined;
    if (!/^s3a?:\/\//i.test(url))
      throw new CommandError(`COPY from "${url.split('://')[0]}://" is not supported in the sandbox; load from S3 instead.`);
    return parseCopy(code, from);
  }
  if (first === 'unload') return parseUnload(code);
  return undefined;
}

/** Cheap test before lexing a whole query. */
export function mayIntercept(sql: string): boolean {
  return /\b(copy|unload)\b/i.test(sql) && sql.includes('://');
}

function parseCopy(code: Token[], from: number): CopyCommand {
  const head = code.slice(1, from);
  const open = head.findIndex((token) => token.text === '(');
  const tableTokens = open === -1 ? head : head.slice(0, open);
  const table = render(tableTokens);
  if (!table) throw new CommandError('COPY needs a table name', '42601');
  const last = tableTokens[tableTokens.length - 1]!;
  const columns =
    open === -1
      ? undefined
      : head
          .slice(
            open + 1,
            head.findIndex((token) => token.text === ')'),
          )
          .filter((token) => token.text !== ',')
          .map((token) => token.text);
  const command: CopyCommand = {
    kind: 'copy',
    table,
    tableName: last.kind === 'quoted' ? last.value : last.value.toLowerCase(),
    source: parseS3Url(code[from + 1]!.value),
    manifest: false,
    format: 'text',
    json: 'auto',
    quote: '"',
    ignoreHeader: 0,
    maxError: 0,
    emptyAsNull: false,
    blanksAsNull: false,
    gzip: false,
    escape: false,
    removeQuotes: false,
    fillRecord: false,
    ignoreBlankLines: false,
  };
  if (columns) command.columns = columns;
  const c = new Cursor(code.slice(from + 2));
  while (!c.done()) {
    const token = c.next()!;
    const w = token.kind === 'word' ? token.value : '';
    switch (w) {
      case 'iam_role':
        if (!c.optional('default')) c.string('IAM_ROLE');
        break;
      case 'credentials':
      case 'access_key_id':
      case 'secret_access_key':
      case 'session_token':
      case 'region':
      case 'encoding':
        c.optional('as');
        c.next();
        break;
      case 'with':
      case 'format':
      case 'acceptanydate':
      case 'truncatecolumns':
      case 'trimblanks':
      case 'explicit_ids':
      case 'roundec':
        c.optional('as');
        break;
      case 'csv':
        command.format = 'csv';
        if (c.optional('quote')) {
          c.optional('as');
          command.quote = c.string('QUOTE');
        }
        break;
      case 'json':
        command.format = 'json';
        c.optional('as');
        if (c.peek()?.kind === 'string') {
          const arg = c.string('JSON').trim().toLowerCase();
          if (arg === 'auto' || arg === 'auto ignorecase') command.json = arg;
          else throw new CommandError(`JSON '${arg}' is not supported in the sandbox; use JSON 'auto' or 'auto ignorecase'.`);
        }
        break;
      case 'parquet':
        command.format = 'parquet';
        break;
      case 'quote':
        c.optional('as');
        command.quote = c.string('QUOTE');
        break;
      case 'delimiter':
        c.optional('as');
        command.delimiter = c.string('DELIMITER');
        break;
      case 'ignoreheader':
        c.optional('as');
        command.ignoreHeader = c.number('IGNOREHEADER');
        break;
      case 'maxerror':
        c.optional('as');
        command.maxError = c.number('MAXERROR');
        break;
      case 'null':
        c.optional('as');
        command.nullAs = c.string('NULL AS');
        break;
      case 'timeformat':
      case 'dateformat': {
        c.optional('as');
        const format = c.string(w.toUpperCase()).toLowerCase();
        if (format !== 'auto' && !/^[ymdhisf:\-./ t]+$/i.test(format)) {
          throw new CommandError(`${w.toUpperCase()} '${format}' is not supported in the sandbox; use 'auto'.`);
        }
        break;
      }
      case 'acceptinvchars':
        c.optional('as');
        if (c.peek()?.kind === 'string') c.next();
        break;
      case 'compupdate':
      case 'statupdate':
        if (['on', 'off', 'true', 'false', 'preset'].includes(c.word())) c.next();
        break;
      case 'emptyasnull':
        command.emptyAsNull = true;
        break;
      case 'blanksasnull':
        command.blanksAsNull = true;
        break;
      case 'gzip':
        command.gzip = true;
        break;
      case 'manifest':
        command.manifest = true;
        break;
      case 'escape':
        command.escape = true;
        break;
      case 'removequotes':
        command.removeQuotes = true;
        break;
      case 'fillrecord':
        command.fillRecord = true;
        break;
      case 'ignoreblanklines':
        command.ignoreBlankLines = true;
        break;
      default:
        throw new CommandError(`COPY option ${token.text.toUpperCase()} is not supported in the sandbox (see DIFFERENCES.md).`);
    }
  }
  return command;
}

function parseUnload(code: Token[]): UnloadCommand {
  const c = new Cursor(code.slice(1));
  if (c.next()?.text !== '(') throw new CommandError("UNLOAD needs ('select ...')", '42601');
  const select = c.string('UNLOAD');
  if (c.next()?.text !== ')') throw new CommandError("UNLOAD needs ('select ...')", '42601');
  if (!c.optional('to')) throw new CommandError("UNLOAD needs TO 's3://bucket/prefix'", '42601');
  const command: UnloadCommand = {
    kind: 'unload',
    select,
    target: parseS3Url(c.string('TO')),
    format: 'text',
    header: false,
    parallel: true,
    allowOverwrite: false,
    maxFileSize: 6.2 * 1024 ** 3,
    gzip: false,
    manifest: false,
    addQuotes: false,
  };
  while (!c.done()) {
    const token = c.next()!;
    const w = token.kind === 'word' ? token.value : '';
    switch (w) {
      case 'iam_role':
        if (!c.optional('default')) c.string('IAM_ROLE');
        break;
      case 'credentials':
      case 'access_key_id':
      case 'secret_access_key':
      case 'session_token':
      case 'region':
      case 'kms_key_id':
        c.optional('as');
        c.next();
        break;
      case 'with':
      case 'format':
      case 'encrypted':
        c.optional('as');
        break;
      case 'csv':
        command.format = 'csv';
        break;
      case 'parquet':
        command.format = 'parquet';
        break;
      case 'header':
        command.header = true;
        break;
      case 'delimiter':
        c.optional('as');
        command.delimiter = c.string('DELIMITER');
        break;
      case 'null':
        c.optional('as');
        command.nullAs = c.string('NULL AS');
        break;
      case 'parallel':
        command.parallel = !['off', 'false'].includes(c.word());
        if (['on', 'off', 'true', 'false'].includes(c.word())) c.next();
        break;
      case 'allowoverwrite':
        command.allowOverwrite = true;
        break;
      case 'cleanpath':
        command.allowOverwrite = true;
        break;
      case 'gzip':
        command.gzip = true;
        break;
      case 'manifest':
        command.manifest = true;
        if (c.word() === 'verbose') c.next();
        break;
      case 'addquotes':
        command.addQuotes = true;
        break;
      case 'extension':
        command.extension = c.string('EXTENSION');
        break;
      case 'maxfilesize': {
        c.optional('as');
        const size = c.number('MAXFILESIZE');
        const unit = c.word();
        if (unit === 'mb' || unit === 'gb') c.next();
        command.maxFileSize = Math.max(5, size) * (unit === 'gb' ? 1024 ** 3 : 1024 ** 2);
        break;
      }
      default:
        throw new CommandError(`UNLOAD option ${token.text.toUpperCase()} is not supported in the sandbox (see DIFFERENCES.md).`);
    }
  }
  return command;
}
