import type { PlanNode } from './plan-steps.js';
import type { QueryIds } from './query-ids.js';
import type { SessionInfo } from './session-info.js';
import { BodyReader, parseErrorFields, withErrorPositionShifted, type Message } from './wire.js';

/** One statement as SYS_QUERY_HISTORY keeps it once it ended. */
export interface FinishedStatement {
  id: number;
  user: string;
  database: string;
  pid: number;
  text: string;
  startMicros: bigint;
  endMicros: bigint;
  status: 'success' | 'failed' | 'canceled';
  error?: string;
  rows: number;
  bytes: number;
  /** The executed plan of each statement in it, as auto_explain gave them. */
  plans: PlanNode[];
}

interface Unit {
  id: number;
  text: string;
  /** Characters the proxy put before the client's text; error positions are shifted back by it. */
  prefix: number;
  startMicros: bigint;
  rows: number;
  bytes: number;
  plans: PlanNode[];
  error?: { code: string; message: string };
}

/** SQLSTATEs of a statement stopped by pg_cancel_backend, pg_terminate_backend or a shutdown: Redshift calls those canceled. */
const CANCELED = new Set(['57014', '57P01', '57P02', '57P03']);

/** Plans kept for one query: a script of thousands of statements keeps those of its first ones. */
const MAX_PLANS = 20;

export const nowMicros = () => BigInt(Math.round((performance.timeOrigin + performance.now()) * 1000));

/**
 * Gives each statement of one client session its query id and follows it to
 * its ReadyForQuery without a round trip of its own: the id travels to the
 * server in a leading comment (`/* tributary:q=<id> last=<previous id> *\/`),
 * so pg_stat_activity shows it while the statement runs and
 * pg_last_query_id() can read the previous one; the outcome is read from the
 * server's own answers.
 */
export class StatementTracker {
  private last = -1;
  /** One entry per Query or Sync sent whose ReadyForQuery has not come yet. */
  private readonly pending: (Unit | undefined)[] = [];
  /** The extended-protocol statement being built, until its Sync. */
  private open: Unit | undefined;
  private readonly prepared = new Map<string, string>();

  constructor(
    private readonly ids: QueryIds,
    private readonly session: SessionInfo,
    private readonly record: (statement: FinishedStatement) => void,
  ) {}

  /** A simple Query: returns the text to forward. The history keeps the client's text, not the rewritten one. */
  query(sql: string, forwarded: string): string {
    const unit = this.begin(sql);
    this.pending.push(unit);
    return this.tag(unit, forwarded);
  }

  /** A Parse: returns the text to forward. Every Parse before one Sync counts as one statement. */
  parse(body: Buffer, sql: string, forwarded: string): string {
    const name = new BodyReader(body).cstring();
    if (name) this.prepared.set(name, sql);
    this.open ??= this.begin(sql);
    return this.tag(this.open, forwarded);
  }

  /** A Bind of a statement prepared earlier starts a statement of its own. */
  bind(body: Buffer): void {
    if (this.open) return;
    const reader = new BodyReader(body);
    reader.cstring();
    const name = reader.cstring();
    this.open = this.begin(this.prepared.get(name) ?? '');
  }

  sync(): void {
    this.pending.push(this.open);
    this.open = undefined;
  }

  /** A statement the proxy carries out itself (COPY from S3, UNLOAD): its id, for its load and for pg_last_query_id(). */
  intercepted(sql: string): { id: number; finish: (error?: { code: string; message: string }) => void } {
    const unit = this.begin(sql);
    return {
      id: unit.id,
      finish: (error) => {
        if (error) unit.error = error;
        this.finish(unit);
      },
    };
  }

  /** An executed plan the server sent for the statement under way (the client does not get it). */
  plan(plan: PlanNode): void {
    const unit = this.pending[0] ?? this.open;
    if (unit && unit.plans.length < MAX_PLANS) unit.plans.push(plan);
  }

  /** Reads a server message on its way to the client; returns the frame to pass on. */
  fromServer(message: Message): Buffer {
    const unit = this.pending[0] ?? this.open;
    if (!unit) {
      if (message.type === 'Z') this.pending.shift();
      return message.frame;
    }
    switch (message.type) {
      case 'D':
        unit.rows++;
        unit.bytes += message.body.length;
        break;
      case 'E': {
        const fields = parseErrorFields(message.body);
        unit.error ??= { code: fields.code ?? 'XX000', message: fields.message ?? '' };
        if (unit.prefix && fields.P) return withErrorPositionShifted(message, unit.prefix);
        break;
      }
      case 'Z':
        this.pending.shift();
        this.finish(unit);
        break;
    }
    return message.frame;
  }

  /** The connection ended: what was still running ends as canceled. */
  close(): void {
    for (const unit of [...this.pending, this.open]) {
      if (!unit) continue;
      unit.error ??= { code: '57P01', message: 'The session ended before the statement finished.' };
      this.finish(unit);
    }
    this.pending.length = 0;
    this.open = undefined;
  }

  private begin(text: string): Unit {
    return { id: this.ids.allocate(), text, prefix: 0, startMicros: nowMicros(), rows: 0, bytes: 0, plans: [] };
  }

  private tag(unit: Unit, sql: string): string {
    const prefix = `/* tributary:q=${unit.id} last=${this.last} */ `;
    unit.prefix = prefix.length;
    return prefix + sql;
  }

  private finish(unit: Unit): void {
    this.last = unit.id;
    const error = unit.error;
    this.record({
      id: unit.id,
      user: this.session.user,
      database: this.session.database,
      pid: this.session.pid,
      text: unit.text,
      startMicros: unit.startMicros,
      endMicros: nowMicros(),
      status: !error ? 'success' : CANCELED.has(error.code) ? 'canceled' : 'failed',
      ...(error ? { error: error.message } : {}),
      rows: unit.rows,
      bytes: unit.bytes,
      plans: unit.plans,
    });
  }
}
