import { describe, expect, it } from 'vitest';
import { nodePrice, priceTable, serverlessRpuPrice } from '../../electron/core/provision/pricing.js';
import { calendar, elapsedCost, priceBasis, serverlessShares } from '../../electron/core/warehouse/cost.js';
import { planTree } from '../../electron/core/warehouse/plan-rows.js';

const pricing = {
  nodePrice: (region: string, nodeType: string) => {
    const usd = nodePrice(region, nodeType);
    return usd === undefined ? undefined : { usd, pricedRegion: region };
  },
  rpuPrice: serverlessRpuPrice,
  priceDate: priceTable.date,
};

describe('query cost', () => {
  it('spreads a cluster’s $/hour (node price × nodes) over the time a query held it', () => {
    const price = priceBasis({ kind: 'cluster', nodeType: 'ra3.xlplus', count: 2, region: 'us-east-1' }, pricing)!;
    expect(price.hourlyUsd).toBeCloseTo(2 * nodePrice('us-east-1', 'ra3.xlplus')!, 6);
    expect(price.priceDate).toBe(priceTable.date);
    // Half an hour on the cluster is half its hourly price.
    expect(elapsedCost(price, 1_800_000).usd).toBeCloseTo(price.hourlyUsd! / 2, 6);
  });

  it('has no price for a node type the table lacks', () => {
    expect(priceBasis({ kind: 'cluster', nodeType: 'xx.none', count: 1, region: 'us-east-1' }, pricing)).toBeUndefined();
  });

  it('splits a Serverless window’s charged RPU-seconds between the queries in it by their time inside it', () => {
    const rpuHour = 0.36;
    const shares = serverlessShares(
      [
        { id: 'a', start: 0, end: 30_000 },
        { id: 'b', start: 30_000, end: 120_000 },
      ],
      [{ id: 'other', start: 60_000, end: 90_000 }],
      [
        { start: 0, end: 60_000, chargedSeconds: 480 },
        { start: 60_000, end: 120_000, chargedSeconds: 240 },
      ],
      rpuHour,
    );
    // Window 1: a and b ran 30 s each → 240 each. Window 2: b 60 s, other 30 s → b gets 160.
    expect(shares.get('a')!.rpuSeconds).toBeCloseTo(240, 6);
    expect(shares.get('b')!.rpuSeconds).toBeCloseTo(400, 6);
    expect(shares.get('b')!.usd).toBeCloseTo((400 / 3600) * rpuHour, 9);
  });

  it('estimates a Serverless run at the base RPU, billed at least the minimum', () => {
    const price = priceBasis({ kind: 'workgroup', baseRpu: 8, region: 'us-east-1' }, pricing)!;
    const { rpuHour, minimumChargeSeconds } = serverlessRpuPrice('us-east-1');
    const cost = elapsedCost(price, 1000);
    expect(cost.estimate).toBe(true);
    expect(cost.rpuSeconds).toBe(8 * minimumChargeSeconds);
    expect(cost.usd).toBeCloseTo(((8 * minimumChargeSeconds) / 3600) * rpuHour, 9);
  });
});

describe('cost per day', () => {
  it('has every UTC day of the span, quiet days at zero, today last', () => {
    const days = calendar(3, Date.parse('2026-03-02T23:30:00Z'), new Map([['2026-03-01', 0.5]]), new Map([['2026-03-01', 4]]));
    expect(days).toEqual([
      { day: '2026-02-28', usd: 0, queries: 0 },
      { day: '2026-03-01', usd: 0.5, queries: 4 },
      { day: '2026-03-02', usd: 0, queries: 0 },
    ]);
  });
});

describe('plans from system views', () => {
  it('builds the tree from node and parent ids, detail rows folded into their node', () => {
    const plan = planTree([
      { id: 1, parent: 0, label: 'XN Hash Join DS_DIST_NONE', info: 'Hash Cond: (a.id = b.id)' },
      { id: 2, parent: 1, label: '->  XN Seq Scan on a', info: '' },
      { id: 3, parent: 1, label: 'XN Hash', info: '' },
      { id: 3, parent: 1, label: 'XN Hash', info: 'rows=10' },
      { id: 4, parent: 3, label: 'XN Seq Scan on b', info: '' },
    ]);
    expect(plan).toHaveLength(1);
    expect(plan[0]!.label).toBe('XN Hash Join DS_DIST_NONE');
    expect(plan[0]!.details).toEqual(['Hash Cond: (a.id = b.id)']);
    expect(plan[0]!.children.map((c) => c.label)).toEqual(['XN Seq Scan on a', 'XN Hash']);
    expect(plan[0]!.children[1]!.details).toEqual(['rows=10']);
    expect(plan[0]!.children[1]!.children[0]!.label).toBe('XN Seq Scan on b');
  });
});
