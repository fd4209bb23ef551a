import { GetMetricDataCommand, type CloudWatchClient, type MetricDataQuery, type MetricDataResult } from '@aws-sdk/client-cloudwatch';

/**
 * The results of `queries` over the last `minutes` whole minutes (so CloudWatch's periods line up with the
 * clock's), oldest first, every page of them.
 */
export async function recentMetricData(
  cloudwatch: CloudWatchClient,
  queries: MetricDataQuery[],
  minutes: number,
  signal: AbortSignal,
  now: Date,
): Promise<MetricDataResult[]> {
  const end = new Date(Math.ceil(now.getTime() / 60_000) * 60_000);
  const start = new Date(end.getTime() - minutes * 60_000);
  const results: MetricDataResult[] = [];
  let token: string | undefined;
  do {
    const page = await cloudwatch.send(
      new GetMetricDataCommand({
        StartTime: start,
        EndTime: end,
        ScanBy: 'TimestampAscending',
        MetricDataQueries: queries,
        ...(token ? { NextToken: token } : {}),
      }),
      { abortSignal: signal },
    );
    results.push(...(page.MetricDataResults ?? []));
    token = page.NextToken;
  } while (token);
  return results;
}
