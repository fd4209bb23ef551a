import { describe, expect, it } from 'vitest';
import { estimate, priceTable, runningCost } from '../../electron/core/provision/pricing.js';
import table from '../../electron/core/provision/prices/aws-on-demand.json';
import { EMR_INSTANCE_TYPES, REDSHIFT_NODE_TYPE_NAMES, resourceSpecSchema, type ResourceSpecInput } from '../../shared/contract/index.js';

const est = (spec: ResourceSpecInput, region = 'us-east-1') => estimate([resourceSpecSchema.parse(spec)], region);

describe('the cost estimator, against the checked-in price table', () => {
  it('exposes the table’s date, source and caveat', () => {
    expect(priceTable.date).toBe(table.date);
    expect(priceTable.date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(priceTable.note).toMatch(/snapshot/i);
    expect(est({ kind: 'kinesis', name: 's' }).priceTableDate).toBe(table.date);
  });

  it('prices every instance and node type the wizards offer, in every region of the table', () => {
    for (const region of priceTable.regions) {
      const r = (
        table.regions as Record<string, { ec2: Record<string, number>; emr: Record<string, number>; redshift: Record<string, number> }>
      )[region]!;
      for (const type of EMR_INSTANCE_TYPES)
        expect([region, type, r.ec2[type], r.emr[type]]).toEqual([region, type, expect.any(Number), expect.any(Number)]);
      for (const type of REDSHIFT_NODE_TYPE_NAMES) expect([region, type, r.redshift[type]]).toEqual([region, type, expect.any(Number)]);
    }
  });

  it('gives known numbers for known sizes (us-east-1)', () => {
    expect(est({ kind: 'kinesis', name: 's', shardCount: 2 }).usdPerHour).toBe(0.03);
    expect(est({ kind: 'kinesis', name: 's', shardCount: 2, retentionHours: 48 }).usdPerHour).toBe(0.07);
    expect(est({ kind: 'kinesis', name: 's', mode: 'on-demand' }).usdPerHour).toBe(0.04);
    // The seed's cluster, today's instance type: 2 × (EC2 0.192 + EMR 0.048).
    const cluster = est({ kind: 'emr', name: 'c', keyPair: { mode: 'existing', name: 'k' } });
    expect(cluster.usdPerHour).toBe(0.48);
    expect(cluster.basis).toContain('2 × m5.xlarge: EC2 $0.192 + EMR $0.048 = $0.480/h');
    expect(est({ kind: 'redshift', identifier: 'w', nodeType: 'dc2.large' }).usdPerHour).toBe(0.25);
    expect(est({ kind: 'redshift', identifier: 'w', nodeType: 'ra3.4xlarge', nodeCount: 2 }).usdPerHour).toBe(6.52);
    expect(est({ kind: 's3', name: 'bucket' }).usdPerHour).toBe(0);
    // 730 GB in S3 Standard for a month is 730 × 0.023 = $16.79, that is $0.023 an hour.
    expect(runningCost('us-east-1', { type: 's3-bucket', bytes: 730 * 1024 ** 3 }).usdPerHour).toBe(0.023);
  });

  it('uses the region’s prices, and says so when it falls back to us-east-1', () => {
    expect(est({ kind: 'emr', name: 'c', keyPair: { mode: 'existing', name: 'k' } }, 'eu-west-1').usdPerHour).toBe(0.524);
    const elsewhere = est({ kind: 'kinesis', name: 's' }, 'ap-south-1');
    expect(elsewhere.pricedRegion).toBe('us-east-1');
    expect(elsewhere.basis[0]).toMatch(/No prices for ap-south-1/);
    const sum = estimate(
      [
        resourceSpecSchema.parse({ kind: 'kinesis', name: 's' }),
        resourceSpecSchema.parse({ kind: 'redshift', identifier: 'w', nodeType: 'dc2.large' }),
      ],
      'us-east-1',
    );
    expect(sum.usdPerHour).toBe(0.265);
  });

  it('names what is not in the table instead of guessing', () => {
    const odd = est({
      kind: 'emr',
      name: 'c',
      keyPair: { mode: 'existing', name: 'k' },
      instances: { mode: 'uniform', instanceType: 'x9.huge', count: 3 },
    });
    expect(odd.usdPerHour).toBe(0);
    expect(odd.basis.join('\n')).toMatch(/x9\.huge: not in the price table/);
  });
});
