/**
 * PostgreSQL wire protocol (v3) framing and the few messages the proxy builds
 * or reads itself. Everything else travels as opaque bytes.
 */
export interface Message {
  type: string;
  /** The body, without the type byte and length. */
  body: Buffer;
  /** The whole frame as received. */
  frame: Buffer;
}

/** Largest message the proxy accepts from a client; PostgreSQL's own limit for a query is 1 GB. */
export const MAX_MESSAGE = 1024 * 1024 * 1024;

/**
 * Cuts a byte stream into messages. `startup` frames (no type byte) come first
 * on a client connection.
 */
export class FrameReader {
  private chunks: Buffer[] = [];
  private length = 0;

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.length += chunk.length;
  }

  /** The next complete startup-phase frame (int32 length, then body), if any. */
  nextStartup(): Buffer | undefined {
    if (this.length < 4) return undefined;
    const size = this.peek(4).readInt32BE(0);
    if (size < 8 || size > 10_000) throw new Error(`bad startup packet length ${size}`);
    if (this.length < size) return undefined;
    return this.take(size);
  }

  next(): Message | undefined {
    if (this.length < 5) return undefined;
    const head = this.peek(5);
    const size = head.readInt32BE(1);
    if (size < 4 || size > MAX_MESSAGE) throw new Error(`bad message length ${size} for '${String.fromCharCode(head[0]!)}'`);
    if (this.length < size + 1) return undefined;
    const frame = this.take(size + 1);
    return { type: String.fromCharCode(frame[0]!), body: frame.subarray(5), frame };
  }

  /** Bytes received but not yet framed (the start of an incomplete message). */
  get pending(): number {
    return this.length;
  }

  private peek(n: number): Buffer {
    if (this.chunks[0]!.length >= n) return this.chunks[0]!.subarray(0, n);
    const joined = Buffer.concat(this.chunks);
    this.chunks = [joined];
    return joined.subarray(0, n);
  }

  private take(n: number): Buffer {
    let out: Buffer;
    if (this.chunks[0]!.length >= n) {
      out = this.chunks[0]!.subarray(0, n);
      if (this.chunks[0]!.length === n) this.chunks.shift();
      else this.chunks[0] = this.chunks[0]!.subarray(n);
    } else {
      const joined = Buffer.concat(this.chunks);
      out = joined.subarray(0, n);
      this.chunks = joined.length > n ? [joined.subarray(n)] : [];
    }
    this.length -= n;
    return out;
  }
}

export function frame(type: string, body: Buffer): Buffer {
  const out = Buffer.allocUnsafe(5 + body.length);
  out.write(type, 0, 'latin1');
  out.writeInt32BE(4 + body.length, 1);
  body.copy(out, 5);
  return out;
}

export function cstring(text: string): Buffer {
  return Buffer.concat([Buffer.from(text, 'utf8'), Buffer.alloc(1)]);
}

/** Reads NUL-terminated strings from a message body. */
export class BodyReader {
  offset = 0;
  constructor(private readonly body: Buffer) {}

  cstring(): string {
    const end = this.body.indexOf(0, this.offset);
    if (end === -1) throw new Error('unterminated string in message');
    const text = this.body.toString('utf8', this.offset, end);
    this.offset = end + 1;
    return text;
  }

  int16(): number {
    const value = this.body.readInt16BE(this.offset);
    this.offset += 2;
    return value;
  }

  int32(): number {
    const value = this.body.readInt32BE(this.offset);
    this.offset += 4;
    return value;
  }

  rest(): Buffer {
    return this.body.subarray(this.offset);
  }
}

export const query = (sql: string) => frame('Q', cstring(sql));
export const copyData = (data: Buffer) => frame('d', data);
export const copyDone = () => frame('c', Buffer.alloc(0));
export const copyFail = (reason: string) => frame('f', cstring(reason));
export const commandComplete = (tag: string) => frame('C', cstring(tag));
export const readyForQuery = (status: string) => frame('Z', Buffer.from(status, 'latin1'));

export interface ErrorFields {
  severity?: string;
  code?: string;
  message?: string;
  detail?: string;
  hint?: string;
  where?: string;
  column?: string;
  table?: string;
  [key: string]: string | undefined;
}

const fieldNames: Record<string, keyof ErrorFields> = {
  S: 'severity',
  C: 'code',
  M: 'message',
  D: 'detail',
  H: 'hint',
  W: 'where',
  c: 'column',
  t: 'table',
};

/** ErrorResponse ('E') and NoticeResponse ('N') bodies. */
export function parseErrorFields(body: Buffer): ErrorFields {
  const fields: ErrorFields = {};
  let offset = 0;
  while (offset < body.length && body[offset] !== 0) {
    const key = String.fromCharCode(body[offset]!);
    const end = body.indexOf(0, offset + 1);
    if (end === -1) break;
    fields[fieldNames[key] ?? key] = body.toString('utf8', offset + 1, end);
    offset = end + 1;
  }
  return fields;
}

export function errorResponse(message: string, code = 'XX000', detail?: string, severity = 'ERROR'): Buffer {
  return fieldsMessage('E', message, code, detail, severity);
}

/** A NoticeResponse, as Redshift sends "INFO: Load into table ... completed". */
export function notice(message: string, severity = 'INFO'): Buffer {
  return fieldsMessage('N', message, '00000', undefined, severity);
}

function fieldsMessage(type: string, message: string, code: string, detail: string | undefined, severity: string): Buffer {
  const parts = [
    Buffer.from('S'),
    cstring(severity),
    Buffer.from('V'),
    cstring(severity),
    Buffer.from('C'),
    cstring(code),
    Buffer.from('M'),
    cstring(message),
  ];
  if (detail) parts.push(Buffer.from('D'), cstring(detail));
  parts.push(Buffer.alloc(1));
  return frame(type, Buffer.concat(parts));
}

/** DataRow values as text (null for SQL NULL); the proxy only asks for text results. */
export function parseDataRow(body: Buffer): (string | null)[] {
  const count = body.readInt16BE(0);
  const values: (string | null)[] = [];
  let offset = 2;
  for (let i = 0; i < count; i++) {
    const size = body.readInt32BE(offset);
    offset += 4;
    if (size < 0) values.push(null);
    else {
      values.push(body.toString('utf8', offset, offset + size));
      offset += size;
    }
  }
  return values;
}

export interface FieldDescription {
  name: string;
  typeOid: number;
  typeModifier: number;
}

export function parseRowDescription(body: Buffer): FieldDescription[] {
  const reader = new BodyReader(body);
  const count = reader.int16();
  const fields: FieldDescription[] = [];
  for (let i = 0; i < count; i++) {
    const name = reader.cstring();
    reader.int32();
    reader.int16();
    const typeOid = reader.int32();
    reader.int16();
    const typeModifier = reader.int32();
    reader.int16();
    fields.push({ name, typeOid, typeModifier });
  }
  return fields;
}

/** The Parse ('P') message with its query replaced. */
export function rewriteParse(body: Buffer, rewrite: (sql: string) => string): Buffer {
  const reader = new BodyReader(body);
  const name = reader.cstring();
  const sql = reader.cstring();
  const replaced = rewrite(sql);
  if (replaced === sql) return frame('P', body);
  return frame('P', Buffer.concat([cstring(name), cstring(replaced), reader.rest()]));
}

/** An ErrorResponse or NoticeResponse whose cursor position ('P') is moved `by` characters back. */
export function withErrorPositionShifted(message: Message, by: number): Buffer {
  const parts: Buffer[] = [];
  let offset = 0;
  const body = message.body;
  while (offset < body.length && body[offset] !== 0) {
    const end = body.indexOf(0, offset + 1);
    if (end === -1) break;
    const key = String.fromCharCode(body[offset]!);
    const value = body.toString('utf8', offset + 1, end);
    parts.push(Buffer.from(key), cstring(key === 'P' ? String(Math.max(1, Number(value) - by)) : value));
    offset = end + 1;
  }
  parts.push(Buffer.alloc(1));
  return frame(message.type, Buffer.concat(parts));
}
