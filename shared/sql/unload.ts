import { redshiftLiteral, S3_URI_SAFE } from './literal.js';

/** What an UNLOAD writes and where, as the workbench's form asks for it. */
export interface UnloadTarget {
  /** s3://bucket/prefix/ */
  s3Prefix: string;
  iamRole: string;
  format: 'PARQUET' | 'CSV' | 'JSON';
}

const S3_PREFIX = /^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/.*)?$/;
/** s3://bucket/prefix with nothing a SQL literal would read differently. */
export function isS3Prefix(text: string): boolean {
  return S3_PREFIX.test(text) && S3_URI_SAFE.test(text);
}
export const IAM_ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/;

/**
 * A statement's result written to S3 by Redshift itself instead of coming
 * through the app: UNLOAD takes the query as a Redshift literal, so its own
 * quotes and backslashes are doubled, as are the target's.
 */
export function unloadStatement(query: string, target: UnloadTarget): string {
  if (!isS3Prefix(target.s3Prefix)) throw new Error(`Not an S3 prefix: ${target.s3Prefix} (s3://bucket/prefix/)`);
  if (!IAM_ROLE_ARN.test(target.iamRole)) throw new Error(`Not an IAM role ARN: ${target.iamRole}`);
  const body = redshiftLiteral(query.trim().replace(/;\s*$/, ''));
  const format = target.format === 'CSV' ? 'FORMAT AS CSV HEADER' : `FORMAT AS ${target.format}`;
  return `UNLOAD (${body})\nTO ${redshiftLiteral(target.s3Prefix)}\nIAM_ROLE ${redshiftLiteral(target.iamRole)}\n${format}\nALLOWOVERWRITE`;
}
