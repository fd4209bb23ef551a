import { describe, expect, it } from 'vitest';
import { serviceOf } from '../../gateway/service-name.js';

const sigv4 = (service: string) =>
  `AWS4-HMAC-SHA256 Credential=AKIASANDBOX000000000/20261127/us-east-1/${service}/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc`;

describe('the sandbox gateway routes by the service a request is signed for', () => {
  it.each(['s3', 'kinesis', 'elasticmapreduce', 'redshift', 'redshift-data', 'sts', 'iam', 'ec2', 'kms'])(
    'reads %s from the SigV4 credential scope',
    (service) => {
      expect(serviceOf({ authorization: sigv4(service) }, '/')).toBe(service);
    },
  );

  it('reads presigned URLs, whose credential is in the query', () => {
    expect(
      serviceOf(
        {},
        '/bucket/key?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIASANDBOX000000000%2F20261127%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Signature=x',
      ),
    ).toBe('s3');
  });

  it('falls back to the JSON target of unsigned requests, and knows nothing else', () => {
    expect(serviceOf({ 'x-amz-target': 'RedshiftData.ExecuteStatement' }, '/')).toBe('redshift-data');
    expect(serviceOf({ 'x-amz-target': 'ElasticMapReduce.DescribeCluster' }, '/')).toBe('elasticmapreduce');
    expect(serviceOf({}, '/')).toBeUndefined();
    expect(serviceOf({ authorization: 'Bearer x' }, '/')).toBeUndefined();
  });
});
