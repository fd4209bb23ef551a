import type { CostEstimate, EmrSpec, ResourceSpec } from '../../../shared/contract/index.js';
import table from './prices/aws-on-demand.json';

interface RegionPrices {
  kinesis: { shardHour: number; extendedRetentionShardHour: number; onDemandStreamHour: number };
  /** Per GB ingested, each record rounded up to `recordRoundingKb`; no hourly charge. */
  firehose: { ingestionGb: number; recordRoundingKb: number };
  s3: { standardGbMonth: number };
  ec2: Record<string, number>;
  emr: Record<string, number>;
  redshift: Record<string, number>;
  /** Billed per second of RPU capacity while the workgroup works, never less than the minimum per burst. */
  redshiftServerless: { rpuHour: number; minimumChargeSeconds: number };
}

interface PriceTable {
  date: string;
  currency: string;
  source: string;
  note: string;
  hoursPerMonth: number;
  regions: Record<string, RegionPrices>;
}

const prices = table as PriceTable;
const FALLBACK_REGION = 'us-east-1';

/** The checked-in table's date, source and caveat, shown with every estimate. */
export const priceTable = { date: prices.date, source: prices.source, note: prices.note, regions: Object.keys(prices.regions) };

export function regionPrices(region: string): { prices: RegionPrices; pricedRegion: string } {
  const own = prices.regions[region];
  return own ? { prices: own, pricedRegion: region } : { prices: prices.regions[FALLBACK_REGION]!, pricedRegion: FALLBACK_REGION };
}

export const usd = (value: number) => `$${value < 0.01 && value > 0 ? value.toFixed(4) : value.toFixed(3)}`;
const round = (value: number) => Math.round(value * 10_000) / 10_000;

/** Accumulates priced lines into one estimate. */
class Estimate {
  private total = 0;
  private perGb = 0;
  private whileWorking = false;
  private readonly basis: string[] = [];
  readonly prices: RegionPrices;
  readonly pricedRegion: string;

  constructor(readonly region: string) {
    ({ prices: this.prices, pricedRegion: this.pricedRegion } = regionPrices(region));
    if (this.pricedRegion !== region) this.basis.push(`No prices for ${region} in the table; ${this.pricedRegion} prices shown.`);
  }

  add(perHour: number, line: string): void {
    this.total += perHour;
    this.basis.push(line);
  }

  note(line: string): void {
    this.basis.push(line);
  }

  /** Billed by the hour only while it works (Redshift Serverless' RPU-hours), nothing while idle. */
  addWhileWorking(perHour: number, line: string): void {
    this.whileWorking = true;
    this.add(perHour, line);
  }

  /** What is billed by the data that goes through, not by the hour. */
  addPerGb(usdPerGb: number, line: string): void {
    this.perGb += usdPerGb;
    this.basis.push(line);
  }

  result(): CostEstimate {
    return {
      usdPerHour: round(this.total),
      ...(this.perGb > 0 ? { usdPerGbIngested: this.perGb } : {}),
      ...(this.whileWorking ? { onlyWhileWorking: true } : {}),
      basis: this.basis,
      region: this.region,
      pricedRegion: this.pricedRegion,
      priceTableDate: prices.date,
      priceTableSource: prices.source,
    };
  }
}

export function kinesisHourly(e: Estimate, stream: { mode: 'provisioned' | 'on-demand'; shards: number; retentionHours: number }): void {
  const k = e.prices.kinesis;
  if (stream.mode === 'on-demand') {
    e.add(k.onDemandStreamHour, `On-demand stream: ${usd(k.onDemandStreamHour)}/h, plus data in and out per GB (not included)`);
    return;
  }
  e.add(
    stream.shards * k.shardHour,
    `${stream.shards} shard${stream.shards === 1 ? '' : 's'} × ${usd(k.shardHour)} = ${usd(stream.shards * k.shardHour)}/h`,
  );
  if (stream.retentionHours > 24) {
    e.add(
      stream.shards * k.extendedRetentionShardHour,
      `Retention over 24 h: ${stream.shards} × ${usd(k.extendedRetentionShardHour)} = ${usd(stream.shards * k.extendedRetentionShardHour)}/h`,
    );
  }
  if (stream.retentionHours > 168) e.note('Retention beyond 7 days is billed per GB-month stored (not included).');
}

export function s3Hourly(e: Estimate, bytes: number): void {
  const gb = bytes / 1024 ** 3;
  const perHour = (gb * e.prices.s3.standardGbMonth) / prices.hoursPerMonth;
  e.add(perHour, `${gb.toFixed(3)} GB × ${usd(e.prices.s3.standardGbMonth)}/GB-month (S3 Standard) = ${usd(perHour)}/h`);
}

export function emrHourly(e: Estimate, groups: { instanceType: string; count: number }[]): void {
  for (const { instanceType, count } of groups) {
    const ec2 = e.prices.ec2[instanceType];
    const emr = e.prices.emr[instanceType];
    if (ec2 === undefined || emr === undefined) {
      e.note(`${count} × ${instanceType}: not in the price table (not included).`);
      continue;
    }
    const each = ec2 + emr;
    e.add(count * each, `${count} × ${instanceType}: EC2 ${usd(ec2)} + EMR ${usd(emr)} = ${usd(count * each)}/h`);
  }
}

export function redshiftHourly(e: Estimate, nodeType: string, count: number): void {
  const node = e.prices.redshift[nodeType];
  if (node === undefined) {
    e.note(`${count} × ${nodeType}: not in the price table (not included).`);
    return;
  }
  e.add(
    count * node,
    `${count} × ${nodeType} × ${usd(node)} = ${usd(count * node)}/h${nodeType.startsWith('ra3') ? ', plus managed storage per GB-month (not included)' : ''}`,
  );
}

/** A workgroup bills RPU-seconds while it works: base RPUs × the RPU-hour price per hour of work, nothing while idle. */
export function serverlessHourly(e: Estimate, baseRpus: number, maxRpus: number | undefined): void {
  const { rpuHour, minimumChargeSeconds } = e.prices.redshiftServerless;
  e.addWhileWorking(
    baseRpus * rpuHour,
    `${baseRpus} RPUs × ${usd(rpuHour)} per RPU-hour = ${usd(baseRpus * rpuHour)} per hour while it works`,
  );
  e.note(`Nothing while idle; billed per second of work, at least ${minimumChargeSeconds} s each time it wakes.`);
  if (maxRpus !== undefined)
    e.note(`It may scale up to ${maxRpus} RPUs under load: at most ${usd(maxRpus * rpuHour)} per hour while it works that hard.`);
  else e.note('No max capacity set: under load it may scale past its base RPUs, and cost more per hour.');
}

/** Firehose bills what it ingests, not the hour: the price per GB (records rounded up to 5 KB), nothing hourly. */
export function firehoseNote(e: Estimate): void {
  const f = e.prices.firehose;
  e.addPerGb(
    f.ingestionGb,
    `Firehose: nothing by the hour; ingestion ${usd(f.ingestionGb)} per GB (first 500 TB a month), each record rounded up to ${f.recordRoundingKb} KB`,
  );
}

export function emrGroups(spec: EmrSpec): { instanceType: string; count: number }[] {
  const i = spec.instances;
  if (i.mode === 'uniform') return [{ instanceType: i.instanceType, count: i.count }];
  return [{ instanceType: i.master.instanceType, count: 1 }, ...(i.core ? [i.core] : []), ...(i.task ? [i.task] : [])];
}

/** The hourly estimate for one resource spec; `into` sums several (a pipeline). */
export function estimate(specs: ResourceSpec[], region: string): CostEstimate {
  const e = new Estimate(region);
  for (const spec of specs) {
    switch (spec.kind) {
      case 'kinesis':
        kinesisHourly(e, { mode: spec.mode, shards: spec.shardCount, retentionHours: spec.retentionHours });
        break;
      case 's3':
        e.note('S3 bucket: $0.000/h while empty; S3 Standard storage is billed per GB-month stored.');
        break;
      case 'emr':
        emrHourly(e, emrGroups(spec));
        break;
      case 'redshift':
        redshiftHourly(e, spec.nodeType, spec.nodeCount);
        break;
      case 'redshift-serverless':
        serverlessHourly(e, spec.baseCapacity, spec.maxCapacity);
        break;
      case 'firehose':
        firehoseNote(e);
        break;
    }
  }
  return e.result();
}

/** Hourly cost of a running resource seen in the inventory. */
export function runningCost(
  region: string,
  what:
    | { type: 'kinesis-stream'; mode: 'provisioned' | 'on-demand'; shards: number; retentionHours: number }
    | { type: 's3-bucket'; bytes: number }
    | { type: 'emr-cluster'; groups: { instanceType: string; count: number }[] }
    | { type: 'redshift-cluster'; nodeType: string; count: number }
    | { type: 'firehose-stream' },
): CostEstimate {
  const e = new Estimate(region);
  if (what.type === 'kinesis-stream') kinesisHourly(e, what);
  else if (what.type === 's3-bucket') s3Hourly(e, what.bytes);
  else if (what.type === 'emr-cluster') emrHourly(e, what.groups);
  else if (what.type === 'firehose-stream') firehoseNote(e);
  else redshiftHourly(e, what.nodeType, what.count);
  return e.result();
}

export function instancePrice(region: string, instanceType: string): { ec2?: number; emr?: number } {
  const { prices: p } = regionPrices(region);
  return {
    ...(p.ec2[instanceType] !== undefined ? { ec2: p.ec2[instanceType] } : {}),
    ...(p.emr[instanceType] !== undefined ? { emr: p.emr[instanceType] } : {}),
  };
}

export function nodePrice(region: string, nodeType: string): number | undefined {
  return regionPrices(region).prices.redshift[nodeType];
}

/** Redshift Serverless's price per RPU-hour in a region (the table's fallback region when it has none). */
export function serverlessRpuPrice(region: string): { rpuHour: number; minimumChargeSeconds: number; pricedRegion: string } {
  const { prices: p, pricedRegion } = regionPrices(region);
  return { ...p.redshiftServerless, pricedRegion };
}
