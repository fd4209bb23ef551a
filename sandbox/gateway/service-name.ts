import type { IncomingHttpHeaders } from 'node:http';

const targetPrefixes: [string, string][] = [
  ['RedshiftData.', 'redshift-data'],
  ['RedshiftServerless.', 'redshift-serverless'],
  ['ElasticMapReduce.', 'elasticmapreduce'],
  ['Kinesis_', 'kinesis'],
  ['Firehose_', 'firehose'],
];

/**
 * Which AWS service a request is for, read the way AWS's own front door does:
 * the SigV4 credential scope (header or presigned query), else the JSON target.
 */
export function serviceOf(headers: IncomingHttpHeaders, url: string): string | undefined {
  const scope = /Credential=[^/]+\/\d{8}\/[^/]+\/([^/]+)\/aws4_request/.exec(headers.authorization ?? '');
  if (scope?.[1]) return scope[1];
  const query = new URL(url, 'http://x').searchParams.get('X-Amz-Credential');
  const presigned = query?.split('/')[3];
  if (presigned) return presigned;
  const target = String(headers['x-amz-target'] ?? '');
  return targetPrefixes.find(([prefix]) => target.startsWith(prefix))?.[1];
}
