/**
 * A Redshift string literal. Redshift reads a backslash in '…' as an escape (\' is a quote, \\ a
 * backslash), unlike PostgreSQL's standard strings, so both quotes and backslashes are doubled:
 * every COPY and UNLOAD literal the app writes comes from here, so none reads differently than meant.
 */
export function redshiftLiteral(text: string): string {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
}

/**
 * No quotes, backslashes or control characters: an S3 URI goes into SQL literals and commands,
 * where each would read as something else; S3 keys that hold them are not worth that risk.
 */
// eslint-disable-next-line no-control-regex -- control characters are exactly what it refuses
export const S3_URI_SAFE = /^[^'"\\\u0000-\u001f\u007f]*$/;
export const S3_URI_SAFE_MESSAGE = 'An S3 URI cannot contain quotes, backslashes or control characters';

/**
 * A Redshift identifier, always quoted: a bare name would read differently when it is a reserved
 * word (`order`, `user`) or holds capitals, and Redshift reads `""` inside quotes as one `"`.
 */
export function redshiftIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
