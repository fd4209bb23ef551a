/**
 * The one redaction for text that may carry SQL or a server's words: log lines, query history, error texts and
 * notices. A secret is found by its name (a SQL keyword such as PASSWORD or CREDENTIALS, a setting such as
 * fs.s3a.secret.key, a JSON field such as "SecretAccessKey") and the whole value after the name is masked, however
 * it is quoted; URL user-info, private key blocks and AWS access key ids are masked by their shape. The rest of the
 * statement stays readable, so history still says what ran.
 *
 * Written here rather than taken from a SQL library because none fits: dbgate-query-splitter (our splitter) exports
 * only `splitQuery` and its parameter helpers, and its internal scanner ends a '…' literal at the first quote ('' is
 * two strings to it: harmless for splitting, a leak for masking); sql-formatter keeps its tokenizer private; the
 * sandbox's lexer may not be imported by the app. And the text is often not SQL at all but prose around SQL (Spark
 * quotes the statement inside its error), where a tokenizer would read the apostrophe of "can't" as a literal and
 * skip past every secret after it. So only the value after a secret's name is measured, by both dialects' quoting
 * rules (Redshift's '' and $tag$, Spark's backslashes and double-quoted strings), and the longer reading is masked.
 */

const MASK = '[redacted]';

/** Names whose value is a secret: SQL keywords, settings, JSON fields, connection-string keys (matched case-insensitively). */
const SECRET_NAME = [
  '[\\w.-]{0,80}?(?:password|passwd|pwd|passphrase|secret(?:[._-]?access)?[._-]?key|access[._-]?key(?:[._-]?id)?|session[._-]?token|credentials?|secret|token)',
  'identified\\s+by',
].join('|');

/** What SQL allows between a name and its quoted value: space, comments, or nothing at all. */
const GAP = String.raw`(?:\s|/\*[\s\S]*?\*/|--[^\n]*\n)`;
/** The start of a quoted value. With nothing between it and the name, the name must not itself be quoted text ('password'). */
const QUOTE = String.raw`[$'"]|e'|u&'`;
/**
 * A name, perhaps quoted (JSON, Spark's OPTIONS ('k' 'v')), then `=`, `:` or `=>` before any value, or space,
 * comments or nothing (or Redshift's AS) before a quoted one: `PASSWORD 'x'`, `PASSWORD'x'`, `CREDENTIALS AS 'x'`,
 * `PASSWORD U&'x'`. A name inside a longer word does not count (`passwords`, `password_encryption`).
 */
const NAMED_VALUE = new RegExp(
  `(["'\`]?)(${SECRET_NAME})\\1(?![\\w-])(\\s*(?:=>|[:=])\\s*|${GAP}+(?:as${GAP}+)?(?=${QUOTE})|(?<!["'\`][\\w.-]*)(?=${QUOTE}))`,
  'gi',
);

/** A value without quotes ends at a space or a separator of the usual setting and connection-string shapes. */
const BARE_VALUE = /^[^\s;,&'"]+/;

const PRIVATE_KEY = /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|$)/g;
/** `scheme://user:password@host`: the password goes (up to the last @ before the path, as URL parsers read it). */
const URL_USER_INFO = /\b([a-z][a-z0-9+.-]*:\/\/[^\s:/?#@'"]*:)[^\s/?#'"]*@/gi;
const AWS_KEY_ID = /\b(?:AKIA|ASIA)[A-Z0-9]{16}\b/g;

/** Masks every secret this module knows the shape of; everything else of the text is left as it was. */
export function redactSecrets(text: string): string {
  const masked = text.replace(PRIVATE_KEY, '[private key redacted]').replace(URL_USER_INFO, `$1${MASK}@`);
  let out = '';
  let done = 0;
  for (const value of namedValues(masked)) {
    out += masked.slice(done, value.start) + value.replacement;
    done = value.end;
  }
  return (out + masked.slice(done)).replace(AWS_KEY_ID, '[aws key id redacted]');
}

/**
 * The values `statement` passes as secrets, as written and as the server reads them under either dialect's escapes,
 * to be masked where a server quotes them back without their name: PostgreSQL's `syntax error at or near "'…'"`,
 * Spark's answer to `SET k=v` (a row holding the value).
 */
export function secretValues(statement: string): string[] {
  const values = new Set<string>();
  for (const { inner } of namedValues(statement)) {
    for (const value of [inner, inner.replace(/''/g, "'").replace(/""/g, '"'), inner.replace(/\\(.)/g, '$1')]) {
      if (value.length >= 4) values.add(value);
    }
  }
  return [...values];
}

/** `text` with each of `values` masked wherever it appears. */
export function maskValues(text: string, values: string[]): string {
  return values.reduce((out, value) => out.split(value).join(MASK), text);
}

interface NamedValue {
  start: number;
  end: number;
  /** The value without its quotes. */
  inner: string;
  replacement: string;
}

function* namedValues(text: string): Generator<NamedValue> {
  const names = new RegExp(NAMED_VALUE.source, NAMED_VALUE.flags);
  for (let match = names.exec(text); match; match = names.exec(text)) {
    const start = match.index + match[0].length;
    const literal = literalAt(text, start);
    let value: NamedValue;
    if (literal) {
      value = { start, ...literal, replacement: text[start] === '"' ? `"${MASK}"` : `'${MASK}'` };
    } else {
      // Only an assignment (`=`, `:`) takes a value without quotes: `PASSWORD DISABLE` and prose are left alone.
      if (!/[:=]/.test(match[3]!)) continue;
      // Spark's SET takes the rest of the statement as the value, spaces included.
      const setting = /\bset\s+$/i.test(text.slice(Math.max(0, match.index - 80), match.index));
      const bare = (setting ? /^[^;\n]+/ : BARE_VALUE).exec(text.slice(start))?.[0];
      if (!bare) continue;
      value = { start, end: start + bare.length, inner: bare, replacement: MASK };
    }
    yield value;
    names.lastIndex = value.end;
  }
}

/** A quoted value at `start`: where it ends and what it holds, or undefined when no quote starts there. */
function literalAt(text: string, start: number): { end: number; inner: string } | undefined {
  const end = literalEnd(text, start);
  if (end === undefined) return undefined;
  const opening =
    text[start] === '$'
      ? text.slice(start, text.indexOf('$', start + 1) + 1)
      : text[start] === "'" || text[start] === '"'
        ? text[start]!
        : text.slice(start, text.indexOf("'", start) + 1);
  const closing = opening.length > 1 && opening.endsWith("'") ? "'" : opening;
  const innerStart = start + opening.length;
  // An unclosed value runs to the end of the text, with no closing quote to leave out.
  const closed = end - closing.length >= innerStart && text.slice(end - closing.length, end) === closing;
  return { end, inner: text.slice(innerStart, closed ? end - closing.length : end) };
}

/**
 * Where a quoted value starting at `start` ends (exclusive), or undefined when no quote starts there. An unclosed
 * quote runs to the end of the text, so a cut-off statement leaks nothing.
 */
function literalEnd(text: string, start: number): number | undefined {
  const first = text[start];
  if ((first === 'e' || first === 'E') && text[start + 1] === "'") return backslashQuoted(text, start + 1, "'");
  if ((first === 'u' || first === 'U') && text.startsWith("&'", start + 1)) return doubledQuoted(text, start + 2, "'");
  if (first === '$') {
    const tag = /^\$(?:[A-Za-z_][A-Za-z0-9_]*)?\$/.exec(text.slice(start, start + 66))?.[0];
    if (!tag) return undefined;
    const close = text.indexOf(tag, start + tag.length);
    return close === -1 ? text.length : close + tag.length;
  }
  if (first !== "'" && first !== '"') return undefined;
  // Redshift doubles a quote inside; Spark escapes it with a backslash and joins adjacent literals: take the longer.
  return Math.max(doubledQuoted(text, start, first), backslashQuoted(text, start, first));
}

function doubledQuoted(text: string, start: number, quote: string): number {
  let i = start + 1;
  for (;;) {
    const close = text.indexOf(quote, i);
    if (close === -1) return text.length;
    if (text[close + 1] !== quote) return close + 1;
    i = close + 2;
  }
}

function backslashQuoted(text: string, start: number, quote: string): number {
  let i = start + 1;
  while (i < text.length) {
    const c = text[i];
    if (c === '\\') i += 2;
    else if (c === quote) {
      if (text[i + 1] !== quote) return i + 1;
      i += 2;
    } else i++;
  }
  return text.length;
}
