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

/**
 * A name, perhaps quoted (JSON, Spark's OPTIONS ('k' 'v')), then `=`, `:` or `=>` before any value, or only space
 * (or Redshift's AS) before a quoted one: `PASSWORD 'x'`, `CREDENTIALS AS 'x'`. A name inside a longer word does not
 * count (`passwords`, `password_encryption`).
 */
const NAMED_VALUE = new RegExp(`(["'\`]?)(${SECRET_NAME})\\1(?![\\w-])(\\s*(?:=>|[:=])\\s*|\\s+(?:as\\s+)?(?=[$'"]|e'))`, 'gi');

/** A value without quotes ends at a space or a separator of the usual setting and connection-string shapes. */
const BARE_VALUE = /^[^\s;,&'"]+/;

const PRIVATE_KEY = /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|$)/g;
/** `scheme://user:password@host`: the password goes (up to the last @ before the path, as URL parsers read it). */
const URL_USER_INFO = /\b([a-z][a-z0-9+.-]*:\/\/[^\s:/?#@'"]*:)[^\s/?#'"]*@/gi;
const AWS_KEY_ID = /\b(?:AKIA|ASIA)[A-Z0-9]{16}\b/g;

/** Masks every secret this module knows the shape of; everything else of the text is left as it was. */
export function redactSecrets(text: string): string {
  return maskNamedValues(text.replace(PRIVATE_KEY, '[private key redacted]').replace(URL_USER_INFO, `$1${MASK}@`)).replace(
    AWS_KEY_ID,
    '[aws key id redacted]',
  );
}

function maskNamedValues(text: string): string {
  let out = '';
  let done = 0;
  NAMED_VALUE.lastIndex = 0;
  for (let match = NAMED_VALUE.exec(text); match; match = NAMED_VALUE.exec(text)) {
    const valueStart = match.index + match[0].length;
    const literal = literalEnd(text, valueStart);
    let end: number;
    let replacement: string;
    if (literal !== undefined) {
      end = literal;
      replacement = text[valueStart] === '"' ? `"${MASK}"` : `'${MASK}'`;
    } else {
      // Only an assignment (`=`, `:`) takes a value without quotes: `PASSWORD DISABLE` and prose are left alone.
      if (!/[:=]/.test(match[3]!)) continue;
      // Spark's SET takes the rest of the statement as the value, spaces included.
      const setting = /\bset\s+$/i.test(text.slice(Math.max(0, match.index - 80), match.index));
      const bare = setting ? /^[^;\n]+/.exec(text.slice(valueStart)) : BARE_VALUE.exec(text.slice(valueStart));
      if (!bare) continue;
      end = valueStart + bare[0].length;
      replacement = MASK;
    }
    out += text.slice(done, valueStart) + replacement;
    done = end;
    NAMED_VALUE.lastIndex = end;
  }
  return out + text.slice(done);
}

/**
 * Where a quoted value starting at `start` ends (exclusive), or undefined when no quote starts there. An unclosed
 * quote runs to the end of the text, so a cut-off statement leaks nothing.
 */
function literalEnd(text: string, start: number): number | undefined {
  const first = text[start];
  if ((first === 'e' || first === 'E') && text[start + 1] === "'") return backslashQuoted(text, start + 1, "'");
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
