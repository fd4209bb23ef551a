/**
 * A small SQL lexer for the Redshift dialect: enough to find keywords without
 * touching what sits inside quotes, dollar quotes, comments or quoted
 * identifiers. Joining every token's `text` gives back the input exactly.
 */
export type TokenKind = 'space' | 'comment' | 'word' | 'quoted' | 'string' | 'number' | 'param' | 'punct' | 'op';

export interface Token {
  kind: TokenKind;
  text: string;
  /** Lower-cased text for words, the unquoted value for strings and quoted identifiers. */
  value: string;
}

const wordStart = /[A-Za-z_\u0080-\uffff]/;
const wordPart = /[A-Za-z0-9_$\u0080-\uffff]/;
const opChars = '+-*/<>=~!@#%^&|`?:';

/** `backslashEscapes` reads '...' as Redshift does inside UNLOAD's query text, where \' is a quote. */
export function tokenize(sql: string, backslashEscapes = false): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const push = (kind: TokenKind, end: number, value?: string) => {
    const text = sql.slice(i, end);
    tokens.push({ kind, text, value: value ?? (kind === 'word' ? text.toLowerCase() : text) });
    i = end;
  };
  while (i < sql.length) {
    const c = sql[i]!;
    const next = sql[i + 1] ?? '';
    if (/\s/.test(c)) {
      let j = i + 1;
      while (j < sql.length && /\s/.test(sql[j]!)) j++;
      push('space', j);
    } else if (c === '-' && next === '-') {
      const end = sql.indexOf('\n', i);
      push('comment', end === -1 ? sql.length : end);
    } else if (c === '/' && next === '*') {
      push('comment', blockCommentEnd(sql, i));
    } else if (c === "'" || ((c === 'E' || c === 'e') && next === "'")) {
      const start = c === "'" ? i : i + 1;
      const [end, value] = stringEnd(sql, start, backslashEscapes || c !== "'");
      push('string', end, value);
    } else if (c === '"') {
      let j = i + 1;
      let value = '';
      while (j < sql.length) {
        if (sql[j] === '"') {
          if (sql[j + 1] === '"') {
            value += '"';
            j += 2;
            continue;
          }
          j++;
          break;
        }
        value += sql[j];
        j++;
      }
      push('quoted', j, value);
    } else if (c === '$' && /[0-9]/.test(next)) {
      let j = i + 1;
      while (j < sql.length && /[0-9]/.test(sql[j]!)) j++;
      push('param', j);
    } else if (c === '$') {
      const tag = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(sql.slice(i, i + 64));
      if (tag) {
        const close = sql.indexOf(tag[0], i + tag[0].length);
        const end = close === -1 ? sql.length : close + tag[0].length;
        push('string', end, sql.slice(i + tag[0].length, close === -1 ? sql.length : close));
      } else push('op', i + 1);
    } else if (wordStart.test(c)) {
      let j = i + 1;
      while (j < sql.length && wordPart.test(sql[j]!)) j++;
      push('word', j);
    } else if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(next))) {
      const m = /^(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?/.exec(sql.slice(i, i + 400));
      push('number', i + (m ? m[0].length : 1));
    } else if ('(),;[].'.includes(c)) {
      push('punct', i + 1);
    } else if (opChars.includes(c)) {
      let j = i + 1;
      // `::` stays one token so a cast is never mistaken for a named parameter.
      while (
        j < sql.length &&
        opChars.includes(sql[j]!) &&
        !(sql[j] === '-' && sql[j + 1] === '-') &&
        !(sql[j] === '/' && sql[j + 1] === '*')
      )
        j++;
      push('op', j);
    } else {
      push('op', i + 1);
    }
  }
  return tokens;
}

function blockCommentEnd(sql: string, start: number): number {
  let depth = 0;
  let j = start;
  while (j < sql.length) {
    if (sql[j] === '/' && sql[j + 1] === '*') {
      depth++;
      j += 2;
    } else if (sql[j] === '*' && sql[j + 1] === '/') {
      depth--;
      j += 2;
      if (depth === 0) return j;
    } else j++;
  }
  return sql.length;
}

/** Standard strings double their quotes; E'' strings also take backslash escapes. */
function stringEnd(sql: string, quote: number, escapes: boolean): [number, string] {
  let j = quote + 1;
  let value = '';
  while (j < sql.length) {
    const ch = sql[j]!;
    if (escapes && ch === '\\' && j + 1 < sql.length) {
      value += unescape(sql[j + 1]!);
      j += 2;
    } else if (ch === "'") {
      if (sql[j + 1] === "'") {
        value += "'";
        j += 2;
      } else return [j + 1, value];
    } else {
      value += ch;
      j++;
    }
  }
  return [sql.length, value];
}

function unescape(ch: string): string {
  return ({ n: '\n', t: '\t', r: '\r', b: '\b', f: '\f' } as Record<string, string>)[ch] ?? ch;
}

export function isCode(token: Token): boolean {
  return token.kind !== 'space' && token.kind !== 'comment';
}

/** Splits at top-level semicolons; each statement keeps its own tokens (the semicolon is dropped). */
export function splitStatements(tokens: Token[]): Token[][] {
  const statements: Token[][] = [];
  let current: Token[] = [];
  let depth = 0;
  for (const token of tokens) {
    if (token.text === '(') depth++;
    if (token.text === ')') depth = Math.max(0, depth - 1);
    if (token.kind === 'punct' && token.text === ';' && depth === 0) {
      statements.push(current);
      current = [];
    } else current.push(token);
  }
  statements.push(current);
  return statements.filter((statement) => statement.some(isCode));
}

export function render(tokens: Token[]): string {
  return tokens.map((token) => token.text).join('');
}

/** A string literal PostgreSQL reads back as `value`. */
export function quoteLiteral(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
