import { describe, expect, it } from 'vitest';
import { unloadStatement } from '../../shared/sql/unload.js';

describe('UNLOAD of a result to S3', () => {
  const target = {
    s3Prefix: 's3://pipeline-bucket/exports/top-paths/',
    iamRole: 'arn:aws:iam::123456789012:role/tributary-redshift-copy',
    format: 'PARQUET' as const,
  };

  it('quotes the query as Redshift wants it, its own quotes doubled', () => {
    expect(unloadStatement("SELECT path FROM access_logs WHERE status = '404';", target)).toBe(
      "UNLOAD ('SELECT path FROM access_logs WHERE status = ''404''')\nTO 's3://pipeline-bucket/exports/top-paths/'\nIAM_ROLE 'arn:aws:iam::123456789012:role/tributary-redshift-copy'\nFORMAT AS PARQUET\nALLOWOVERWRITE",
    );
    expect(unloadStatement('SELECT 1', { ...target, format: 'CSV' })).toContain('FORMAT AS CSV HEADER');
  });

  it('refuses a target that would break out of its quotes', () => {
    expect(() => unloadStatement('SELECT 1', { ...target, s3Prefix: "s3://b/x' IAM_ROLE 'y" })).toThrow(/Not an S3 prefix/);
    expect(() => unloadStatement('SELECT 1', { ...target, iamRole: 'role' })).toThrow(/Not an IAM role ARN/);
  });
});
