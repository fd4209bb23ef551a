import type pg from 'pg';
import { redactSecrets } from '../../shared/node/redact.js';
import { planSteps } from './plan-steps.js';
import type { FinishedStatement } from './statement-tracker.js';
import { utcTimestamp } from './session-info.js';

/** How long finished statements wait to be written together, and how many make a batch go at once. */
const FLUSH_MS = 200;
const BATCH = 500;
/** SYS_QUERY_HISTORY on Redshift keeps about seven days; the stand-in also caps the rows per database. */
const KEEP_DAYS = 7;
const KEEP_ROWS = 100_000;
const PRUNE_EVERY_MS = 60_000;
/** Redshift keeps the first 4,000 characters of a statement's text. */
const TEXT_LIMIT = 4000;

const INSERT = `INSERT INTO tributary_sys.query_history
  (query_id, user_id, user_name, session_id, database_name, status, start_time, end_time, error_message,
   returned_rows, returned_bytes, query_text)
  SELECT r.id, u.usesysid::int, r.user_name, r.pid, r.db, r.status, r.st, r.et, r.err, r.nrows, r.nbytes, r.txt
  FROM unnest($1::bigint[], $2::text[], $3::int[], $4::text[], $5::text[], $6::timestamp[], $7::timestamp[],
    $8::text[], $9::bigint[], $10::bigint[], $11::text[]) AS r(id, user_name, pid, db, status, st, et, err, nrows, nbytes, txt)
  LEFT JOIN pg_user u ON u.usename = r.user_name
  ON CONFLICT (query_id) DO NOTHING`;

const INSERT_STEPS = `INSERT INTO tributary_sys.query_steps
  (query_id, child_query_sequence, plan_node_id, plan_parent_id, step_name, table_id, table_name, plan_node, plan_info, start_offset,
   duration, input_rows, output_rows, output_bytes, blocks_read, spilled_blocks, is_diskbased, workmem)
  SELECT r.query_id, r.seq, r.node, r.parent, r.step, (SELECT c.oid FROM pg_class c WHERE c.relname = r.tbl AND c.relkind IN ('r', 'p', 'm')
    ORDER BY c.relnamespace = 'public'::regnamespace DESC LIMIT 1), r.tbl, r.plannode, r.info, r.start_offset, r.duration, r.input_rows,
    r.output_rows, r.output_bytes, r.blocks_read, r.spilled, r.disk, r.workmem
  FROM unnest($1::bigint[], $2::int[], $3::int[], $4::int[], $5::text[], $6::text[], $7::text[], $8::text[], $9::bigint[], $10::bigint[],
    $11::bigint[], $12::bigint[], $13::bigint[], $14::bigint[], $15::bigint[], $16::boolean[], $17::bigint[])
    AS r(query_id, seq, node, parent, step, tbl, plannode, info, start_offset, duration, input_rows, output_rows, output_bytes, blocks_read,
      spilled, disk, workmem)
  ON CONFLICT DO NOTHING`;

const PRUNE = `DELETE FROM tributary_sys.query_history WHERE end_time < (now() AT TIME ZONE 'UTC') - interval '${KEEP_DAYS} days'
  OR query_id < (SELECT query_id FROM tributary_sys.query_history ORDER BY query_id DESC OFFSET ${KEEP_ROWS} LIMIT 1)`;
const PRUNE_STEPS = `DELETE FROM tributary_sys.query_steps WHERE query_id < (SELECT min(query_id) FROM tributary_sys.query_history)`;

/** Rows turned into one array per column, for an INSERT … SELECT FROM unnest($1, $2, …). */
function columns<T>(rows: T[], picks: ((row: T) => unknown)[]): unknown[][] {
  return picks.map((pick) => rows.map(pick));
}

/**
 * Finished statements, written to tributary_sys.query_history of their own
 * database in batches on the proxy's side connection: the client's statement
 * never waits for its own record.
 */
export class QueryHistory {
  private queue: FinishedStatement[] = [];
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();
  private readonly pruned = new Map<string, number>();

  constructor(
    private readonly pool: (database: string) => Promise<pg.Pool>,
    private readonly warn: (message: string, error: unknown) => void,
  ) {}

  add(statement: FinishedStatement): void {
    this.queue.push(statement);
    if (this.queue.length >= BATCH) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), FLUSH_MS);
  }

  /** Writes what is queued; resolves when every write so far has ended. */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.queue;
    this.queue = [];
    const byDatabase = new Map<string, FinishedStatement[]>();
    for (const statement of batch) {
      const rows = byDatabase.get(statement.database);
      if (rows) rows.push(statement);
      else byDatabase.set(statement.database, [statement]);
    }
    this.writing = this.writing.then(() =>
      Promise.all(
        [...byDatabase].map(([database, rows]) =>
          this.write(database, rows).catch((error: unknown) =>
            this.warn(`Could not record ${rows.length} statements of ${database}`, error),
          ),
        ),
      ).then(() => undefined),
    );
    return this.writing;
  }

  private async write(database: string, rows: FinishedStatement[]): Promise<void> {
    const pool = await this.pool(database);
    await pool.query(
      INSERT,
      columns(rows, [
        (r) => r.id,
        (r) => r.user,
        (r) => r.pid,
        (r) => r.database,
        (r) => r.status,
        (r) => utcTimestamp(r.startMicros),
        (r) => utcTimestamp(r.endMicros),
        (r) => (r.error === undefined ? null : redactSecrets(r.error).slice(0, 512)),
        (r) => r.rows,
        (r) => r.bytes,
        (r) =>
          redactSecrets(r.text.slice(0, TEXT_LIMIT * 2))
            .slice(0, TEXT_LIMIT)
            .replaceAll('\0', ''),
      ]),
    );
    const steps = rows.flatMap((row) => planSteps(row.plans).map((step) => ({ id: row.id, ...step })));
    if (steps.length) {
      await pool.query(
        INSERT_STEPS,
        columns(steps, [
          (s) => s.id,
          (s) => s.sequence,
          (s) => s.node,
          (s) => s.parent,
          (s) => s.stepName,
          (s) => s.table ?? null,
          (s) => s.plannode,
          (s) => redactSecrets(s.info),
          (s) => s.startMicros,
          (s) => s.durationMicros,
          (s) => s.inputRows,
          (s) => s.outputRows,
          (s) => s.outputBytes,
          (s) => s.blocksRead,
          (s) => s.spilledBlocks,
          (s) => s.diskBased,
          (s) => s.workmemBytes,
        ]),
      );
    }
    const now = Date.now();
    if (now - (this.pruned.get(database) ?? 0) > PRUNE_EVERY_MS) {
      this.pruned.set(database, now);
      await pool.query(PRUNE);
      await pool.query(PRUNE_STEPS);
    }
  }
}
