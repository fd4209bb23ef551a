import { describe, expect, it } from 'vitest';
import { copyStatement, deliveryConfig } from '../../firehose/delivery-config.js';
import { evaluatePrefix, formatTimestamp, objectSuffix } from '../../firehose/object-names.js';

const at = new Date('2026-03-04T05:06:07.089Z');

describe('objects are named as Firehose names them', () => {
  it('uses yyyy/MM/dd/HH/ in UTC without a custom prefix, and <stream>-<version>-<time>-<uuid> after it', () => {
    expect(evaluatePrefix(undefined, at)).toBe('2026/03/04/05/');
    expect(objectSuffix('events', '3', at)).toMatch(
      /^events-3-2026-03-04-05-06-07-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
    );
  });

  it('evaluates !{timestamp:…} with Java DateTimeFormatter letters and quoted text, and the firehose namespace', () => {
    expect(evaluatePrefix("logs/dt=!{timestamp:yyyy'-'MM'-'dd}/h=!{timestamp:HH}/", at)).toBe('logs/dt=2026-03-04/h=05/');
    expect(evaluatePrefix('e/!{firehose:error-output-type}/!{timestamp:yyyy}/', at, 'redshift-failed')).toBe('e/redshift-failed/2026/');
    expect(evaluatePrefix('r/!{firehose:random-string}/', at)).toMatch(/^r\/[0-9a-f]{11}\/$/);
    expect(formatTimestamp('yy M d H m s SSS', at)).toBe('26 3 4 5 6 7 089');
  });
});

describe('a described stream is read as the worker needs it', () => {
  it('takes Redshift through its S3 staging, with AWS’s defaults where hints are absent, and issues Firehose’s COPY', () => {
    const config = deliveryConfig({
      DeliveryStreamName: 'events',
      DeliveryStreamARN: 'arn:aws:firehose:us-east-1:123456789012:deliverystream/events',
      DeliveryStreamStatus: 'ACTIVE',
      DeliveryStreamType: 'KinesisStreamAsSource',
      VersionId: '2',
      Source: { KinesisStreamSourceDescription: { KinesisStreamARN: 'arn:aws:kinesis:us-east-1:123456789012:stream/clicks' } },
      HasMoreDestinations: false,
      Destinations: [
        {
          DestinationId: 'destinationId-000000000001',
          RedshiftDestinationDescription: {
            RoleARN: 'arn:aws:iam::123456789012:role/r',
            ClusterJDBCURL: 'jdbc:redshift://127.0.0.1:5439/fhdb',
            CopyCommand: { DataTableName: 'events', DataTableColumns: 'id,n', CopyOptions: "FORMAT AS JSON 'auto' GZIP" },
            Username: 'fh',
            S3DestinationDescription: {
              RoleARN: 'arn:aws:iam::123456789012:role/r',
              BucketARN: 'arn:aws:s3:::raw-bucket',
              CompressionFormat: 'GZIP',
              // The API always describes them; the worker falls back to AWS's defaults only if an emulator leaves them out.
              BufferingHints: {},
              EncryptionConfiguration: { NoEncryptionConfig: 'NoEncryption' },
            },
          },
        },
      ],
    });
    expect(config).toMatchObject({
      name: 'events',
      version: '2',
      type: 'KinesisStreamAsSource',
      sourceStream: 'clicks',
      bucket: 'raw-bucket',
      bufferBytes: 5 * 2 ** 20,
      bufferMs: 300_000,
      gzip: true,
      redshift: { host: '127.0.0.1', port: 5439, database: 'fhdb', user: 'fh', table: 'events', retryMs: 3_600_000 },
    });
    expect(copyStatement(config.redshift!, 's3://raw-bucket/manifests/m')).toBe(
      "COPY events (id,n) FROM 's3://raw-bucket/manifests/m' CREDENTIALS 'aws_iam_role=arn:aws:iam::123456789012:role/r' MANIFEST FORMAT AS JSON 'auto' GZIP",
    );
  });
});
