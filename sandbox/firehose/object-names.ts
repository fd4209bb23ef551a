import { randomUUID } from 'node:crypto';

/** What `!{firehose:error-output-type}` evaluates to, as Firehose names its failure kinds. */
export type ErrorOutputType = 'processing-failed' | 'format-conversion-failed' | 'redshift-failed';

/**
 * An S3 key prefix as Firehose evaluates it: `!{timestamp:<Java DateTimeFormatter>}` in UTC (every occurrence the
 * same instant: the arrival of the object's oldest record), `!{firehose:random-string}` (11 characters, one value per
 * prefix), `!{firehose:error-output-type}` (error prefixes only); without a custom prefix, `YYYY/MM/dd/HH/`.
 */
export function evaluatePrefix(prefix: string | undefined, at: Date, errorOutputType?: ErrorOutputType): string {
  if (!prefix) return `${formatTimestamp('yyyy/MM/dd/HH', at)}/`;
  const random = randomUUID().replace(/-/g, '').slice(0, 11);
  return prefix.replace(/!\{(timestamp|firehose):([^}]*)\}/g, (expression, namespace: string, value: string) => {
    if (namespace === 'timestamp') return formatTimestamp(value, at);
    if (value === 'random-string') return random;
    if (value === 'error-output-type' && errorOutputType) return errorOutputType;
    return expression;
  });
}

/**
 * An object's name after its prefix: `<stream>-<version>-<yyyy-MM-dd-HH-mm-ss>-<uuid>`, the time being the arrival of
 * its oldest record, as Firehose names what it delivers.
 */
export function objectSuffix(stream: string, version: string, at: Date): string {
  return `${stream}-${version}-${formatTimestamp('yyyy-MM-dd-HH-mm-ss', at)}-${randomUUID()}`;
}

/** The fields of Java's DateTimeFormatter that date a delivery, in UTC; text in single quotes is literal. */
export function formatTimestamp(pattern: string, at: Date): string {
  const two = (n: number) => String(n).padStart(2, '0');
  const fields: Record<string, (width: number) => string> = {
    y: (width) => (width === 2 ? two(at.getUTCFullYear() % 100) : String(at.getUTCFullYear()).padStart(width, '0')),
    M: (width) => (width === 1 ? String(at.getUTCMonth() + 1) : two(at.getUTCMonth() + 1)),
    d: (width) => (width === 1 ? String(at.getUTCDate()) : two(at.getUTCDate())),
    H: (width) => (width === 1 ? String(at.getUTCHours()) : two(at.getUTCHours())),
    m: (width) => (width === 1 ? String(at.getUTCMinutes()) : two(at.getUTCMinutes())),
    s: (width) => (width === 1 ? String(at.getUTCSeconds()) : two(at.getUTCSeconds())),
    S: (width) => String(at.getUTCMilliseconds()).padStart(3, '0').slice(0, width).padEnd(width, '0'),
  };
  return pattern.replace(/'([^']*)'|([A-Za-z])\2*/g, (run, literal: string | undefined, letter: string | undefined) => {
    if (literal !== undefined) return literal === '' ? "'" : literal;
    const field = letter ? fields[letter] : undefined;
    return field ? field(run.length) : run;
  });
}
