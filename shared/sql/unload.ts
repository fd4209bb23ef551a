/** What an UNLOAD writes and where, as the workbench's form asks for it. */
export interface UnloadTarget {
  /** s3://bucket/prefix/ */
  s3Prefix: string;
  iamRole: string;
  format: 'PARQUET' | 'CSV' | 'JSON';
}

export const S3_PREFIX = /^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/[^'\\]*)?$/;
export const IAM_ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/;

/**
 * A statement's result written to S3 by Redshift itself instead of coming
 * through the app: UNLOAD takes the query as a quoted literal, so its own
 * quotes are doubled.
 */
export function unloadStatement(query: string, target: UnloadTarget): string {
  if (!S3_PREFIX.test(target.s3Prefix)) throw new Error(`Not an S3 prefix: ${target.s3Prefix} (s3://bucket/prefix/)`);
  if (!IAM_ROLE_ARN.test(target.iamRole)) throw new Error(`Not an IAM role ARN: ${target.iamRole}`);
  const body = query.trim().replace(/;\s*$/, '').replace(/'/g, "''");
  const format = target.format === 'CSV' ? 'FORMAT AS CSV HEADER' : `FORMAT AS ${target.format}`;
  return `UNLOAD ('${body}')\nTO '${target.s3Prefix}'\nIAM_ROLE '${target.iamRole}'\n${format}\nALLOWOVERWRITE`;
}
