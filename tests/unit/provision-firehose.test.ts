import { describe, expect, it } from 'vitest';
import { firehoseVerdict } from '../../electron/core/pipeline/firehose.js';
import { preview } from '../../electron/core/provision/preview.js';
import { firehoseSpecSchema, type FirehoseFacts } from '../../shared/contract/index.js';

const spec = (extra: object = {}) =>
  firehoseSpecSchema.parse({
    kind: 'firehose',
    name: 'events-hose',
    bucket: 'raw-bucket',
    roleArn: 'arn:aws:iam::123456789012:role/FirehoseRole',
    source: { mode: 'kinesis', streamName: 'events' },
    ...extra,
  });

describe('a Firehose stream’s wizard', () => {
  it('previews the role it needs, then create-delivery-stream, the Redshift password masked', () => {
    const shown = preview(
      spec({ redshift: { connectionId: 'c-1', table: 'events', columns: ['id', 'n'], copyOptions: "FORMAT AS JSON 'auto'" } }),
      'us-east-1',
      { sandbox: false, accountId: '123456789012' },
    );
    const [role, policy, create] = shown.commands;
    expect(role).toContain('aws iam create-role --role-name FirehoseRole');
    expect(role).toContain('firehose.amazonaws.com');
    expect(policy).toContain('arn:aws:s3:::raw-bucket/*');
    expect(policy).toContain('arn:aws:kinesis:us-east-1:123456789012:stream/events');
    expect(create).toContain(
      'aws firehose create-delivery-stream --delivery-stream-name events-hose --delivery-stream-type KinesisStreamAsSource',
    );
    expect(create).toContain('"Password":"****"');
    expect(create).toContain('"DataTableColumns":"id,n"');
    expect(create).toContain('--redshift-destination-configuration');
  });

  it('prices ingestion per GB from the dated table, nothing per hour', () => {
    const { cost } = preview(spec(), 'us-east-1');
    expect(cost.usdPerHour).toBe(0);
    expect(cost.usdPerGbIngested).toBe(0.029);
    expect(cost.basis.join('\n')).toContain('$0.029 per GB');
    expect(cost.priceTableDate).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  });

  it('refuses what Firehose refuses: a prefix with expressions but no error prefix, a buffer outside 1–128 MiB', () => {
    const parsed = firehoseSpecSchema.safeParse({ ...spec(), prefix: 'raw/!{timestamp:yyyy}/', errorOutputPrefix: undefined });
    expect(parsed.success ? [] : parsed.error.issues.map((i) => i.path.join('.'))).toEqual(['errorOutputPrefix']);
    expect(firehoseSpecSchema.safeParse({ ...spec(), buffering: { sizeMiB: 129, intervalSeconds: 60 } }).success).toBe(false);
  });
});

describe('the Firehose stage’s verdict', () => {
  const facts: Omit<FirehoseFacts, 'health' | 'reason'> = {
    name: 'h',
    status: 'ACTIVE',
    source: 'DirectPut',
    destination: 'redshift',
    table: 'events',
    minutes: 15,
    incomingRecords: 10,
    deliveredToS3: 10,
    deliveredToRedshift: 10,
    failedToS3: 0,
    failedToRedshift: 0,
    lagSeconds: 3,
  };
  it('is red on a failed delivery, amber far behind, green delivering', () => {
    expect(firehoseVerdict(facts)).toEqual({ health: 'green', reason: 'Delivering to S3 and Redshift' });
    expect(firehoseVerdict({ ...facts, failedToRedshift: 2 })).toEqual({
      health: 'red',
      reason: '2 failed deliveries to Redshift (events)',
    });
    expect(firehoseVerdict({ ...facts, lagSeconds: 1200 }).health).toBe('amber');
    expect(firehoseVerdict({ ...facts, status: 'CREATING_FAILED' }).health).toBe('red');
  });
});
