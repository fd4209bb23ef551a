import { z } from 'zod';
import type { PlanNode } from '../../sql/plan.js';
import { call } from '../define.js';
import { tableFixKindSchema, type TableFixResult, type TableHealth } from './table-health.js';
import { connectionIdSchema } from './workbench.js';

/**
 * Operating a Redshift warehouse from its own system views (stv_*, stl_*, svv_*, sys_*), per Redshift connection:
 * what runs and waits, who blocks whom, the WLM queues, recent history with plans, and what queries cost.
 */

/** What a price was worked out from: the cluster's nodes, or the workgroup's RPUs, at the dated price table. */
export interface PriceBasis {
  kind: 'cluster' | 'serverless';
  /** One line: "2 × ra3.xlplus at $1.086/h each" or "Serverless at $0.375 per RPU-hour". */
  describe: string;
  /** Provisioned: the cluster's $/hour (nodes × node price). */
  hourlyUsd?: number;
  /** Serverless: $ per RPU-hour, the workgroup's base RPU and the least a burst is billed for. */
  rpuHourUsd?: number;
  baseRpu?: number;
  minimumChargeSeconds?: number;
  /** The price table's date (YYYY-MM-DD) and the region it priced. */
  priceDate: string;
  pricedRegion: string;
}

/** A query's share of what the warehouse charged while it ran. */
export interface QueryCost {
  usd: number;
  /** Serverless: the RPU-seconds charged that were this query's share. */
  rpuSeconds?: number;
  /** Worked out from the run's own time when the system views could not say (a Serverless estimate at base RPU). */
  estimate?: boolean;
}

export interface RunningQuery {
  queryId: string;
  pid: number;
  user: string;
  /** The WLM queue (service class name, or its number). */
  queue: string;
  /** Running, Queued… as Redshift says. */
  state: string;
  startedAt: string;
  queuedMs: number;
  executingMs: number;
  rows: number | null;
  /** Redacted, as everywhere the app shows SQL. */
  sql: string;
  cost?: QueryCost;
}

export interface RunningAnswer {
  queries: RunningQuery[];
  /** How long the views took to answer, as the app measured it. */
  tookMs: number;
  price?: PriceBasis;
}

export interface WarehouseSession {
  pid: number;
  user: string;
  database: string;
  startedAt: string;
}

export interface HeldLock {
  pid: number;
  xid: string;
  user: string;
  /** The table (schema.name, or its oid when the name is gone). */
  relation: string;
  mode: string;
  granted: boolean;
  since: string;
}

/** A session in a blocking chain: holders at the root, the sessions waiting on them nested under them. */
export interface BlockingNode {
  pid: number;
  user: string;
  /** What it holds (a holder) or waits for (a waiter). */
  relation: string;
  mode: string;
  waitingSince?: string;
  /** Redacted text of what the session is running, when it runs something. */
  sql?: string;
  waiters: BlockingNode[];
}

export interface LocksAnswer {
  sessions: WarehouseSession[];
  locks: HeldLock[];
  chains: BlockingNode[];
}

export interface WlmQueue {
  serviceClass: number;
  name: string;
  slots: number;
  queued: number;
  running: number;
  memoryMb: number | null;
  maxExecutionMs: number | null;
}

export interface RuleAction {
  queryId: string;
  serviceClass: number;
  rule: string;
  action: string;
  at: string;
  value: string | null;
}

export interface WlmAnswer {
  queues: WlmQueue[];
  ruleActions: RuleAction[];
}

export const historyViews = ['recent', 'slowest', 'queued', 'failed'] as const;
export type HistoryView = (typeof historyViews)[number];

export interface PastQuery {
  queryId: string;
  pid: number | null;
  user: string;
  status: string;
  startedAt: string;
  elapsedMs: number;
  queuedMs: number;
  rows: number | null;
  error: string | null;
  sql: string;
  cost?: QueryCost;
}

export interface HistoryAnswer {
  /** The view it came from: sys_query_history, or stl_query on a cluster without it. */
  source: 'sys_query_history' | 'stl_query';
  queries: PastQuery[];
  price?: PriceBasis;
}

export interface QueryStep {
  stream: number | null;
  segment: number;
  step: number;
  name: string;
  table: string | null;
  /** Null where the warehouse did not time the step (the sandbox counts rows per step but does not time them). */
  durationMs: number | null;
  rows: number | null;
  bytes: number | null;
  diskBased: boolean;
  alert: string | null;
}

export interface QueryDetailAnswer {
  queryId: string;
  sql: string;
  plan: PlanNode[];
  steps: QueryStep[];
  /** Where plan and steps came from: sys_query_explain/sys_query_detail or stl_explain/svl_query_summary. */
  source: string;
}

export interface CostAnswer {
  days: { day: string; usd: number; queries: number }[];
  price: PriceBasis;
  /** How a day's money was found: the sum of its queries' shares, or Serverless's charged RPU-seconds. */
  method: string;
}

const target = z.object({ connectionId: connectionIdSchema }).strict();
const pid = z.number().int().min(1).max(2_147_483_647);
const queryId = z.string().regex(/^[0-9]{1,20}$/, 'Not a query id');

export const warehouse = {
  running: call<RunningAnswer>()({
    summary: 'Running and queued queries on a Redshift connection, with their queue, times, rows and cost.',
    input: target,
  }),
  cancel: call<{ signalled: boolean }>()({
    summary: 'Cancel a running query (PG_CANCEL_BACKEND) from a connection of the app’s own.',
    input: z.object({ connectionId: connectionIdSchema, pid }).strict(),
  }),
  terminate: call<{ signalled: boolean }>()({
    summary: 'End a session (PG_TERMINATE_BACKEND) from a connection of the app’s own; its open transaction rolls back.',
    input: z.object({ connectionId: connectionIdSchema, pid }).strict(),
  }),
  locks: call<LocksAnswer>()({
    summary: 'Sessions, the locks they hold or wait for, and the blocking chains (holder → waiters).',
    input: target,
  }),
  wlm: call<WlmAnswer>()({
    summary: 'WLM queues with their slots and queued/running counts, and query monitoring rule actions that fired.',
    input: target,
  }),
  history: call<HistoryAnswer>()({
    summary: 'Recent queries from SYS_QUERY_HISTORY (or STL_QUERY): recent, slowest, most queued or failed.',
    input: z
      .object({
        connectionId: connectionIdSchema,
        view: z.enum(historyViews).default('recent'),
        limit: z.number().int().min(1).max(500).default(50),
      })
      .strict(),
  }),
  queryDetail: call<QueryDetailAnswer>()({
    summary: 'A past query’s plan (as a tree) and its per-step details.',
    input: z.object({ connectionId: connectionIdSchema, queryId }).strict(),
  }),
  cost: call<CostAnswer>()({
    summary: 'What the warehouse’s queries cost per day, from its history and the dated price table.',
    input: z.object({ connectionId: connectionIdSchema, days: z.number().int().min(1).max(90).default(14) }).strict(),
  }),
  tableHealth: call<TableHealth>()({
    summary:
      'Every table with size, rows, skew, unsorted share, stale statistics, distribution, sort key and encoding, most trouble first, each problem with the statement that fixes it; and disk use per node.',
    input: target,
  }),
  fixTable: call<TableFixResult>()({
    summary:
      'Run the fix table health proposed for a table (named by its id and the fix’s kind; the statement is rebuilt from the catalog), and show the table before and after.',
    input: z
      .object({ connectionId: connectionIdSchema, tableId: z.number().int().min(1).max(4_294_967_295), fix: tableFixKindSchema })
      .strict(),
  }),
  runCost: call<{ cost: QueryCost; price: PriceBasis }>()({
    summary: 'What a Workbench run on a Redshift connection cost: its elapsed time at the warehouse’s price.',
    input: z
      .object({
        connectionId: connectionIdSchema,
        elapsedMs: z
          .number()
          .int()
          .min(0)
          .max(31 * 24 * 3_600_000),
      })
      .strict(),
  }),
};
