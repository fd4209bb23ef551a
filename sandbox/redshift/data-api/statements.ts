import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { AwsError } from '../../gateway/aws-error.js';
import type { ColumnMetadata } from './results.js';

/** AWS keeps statements and their results for 24 hours. */
const RETENTION_MS = 24 * 60 * 60 * 1000;
const MAX_ACTIVE = 500;

export type Status = 'SUBMITTED' | 'PICKED' | 'STARTED' | 'FINISHED' | 'FAILED' | 'ABORTED';

export interface Statement {
  id: string;
  /** As the caller wrote it (QueryString). */
  sql: string;
  /** With :name parameters turned into $n, as it runs. */
  boundSql?: string;
  status: Status;
  database: string;
  dbUser?: string;
  /** The database user it runs as, when not the admin (a workgroup's IAM caller). */
  runAs?: string;
  secretArn?: string;
  clusterIdentifier?: string;
  workgroupName?: string;
  statementName?: string;
  parameters?: { name: string; value: string }[];
  createdAt: number;
  updatedAt: number;
  startedNs?: bigint;
  durationNs: number;
  error?: string;
  pid: number;
  queryId: number;
  resultRows: number;
  resultSize: number;
  hasResultSet: boolean;
  columns?: ColumnMetadata[];
  file?: string;
  cancelled: boolean;
  subStatements?: Statement[];
}

/** Where a statement runs, as ExecuteStatement and BatchExecuteStatement name it. */
export interface StatementTarget {
  Database: string;
  DbUser?: string | undefined;
  SecretArn?: string | undefined;
  ClusterIdentifier?: string | undefined;
  WorkgroupName?: string | undefined;
  StatementName?: string | undefined;
}

export function active(statement: Statement): boolean {
  return statement.status === 'SUBMITTED' || statement.status === 'PICKED' || statement.status === 'STARTED';
}

/**
 * The statements the Data API knows of, as AWS keeps them: found by id (a batch's parts as
 * `<id>:<n>`), at most 500 running at once, and forgotten with their result files after 24 hours.
 */
export class StatementStore {
  private readonly statements = new Map<string, Statement>();
  private readonly sweep = setInterval(() => this.expire(Date.now()), 10 * 60 * 1000);

  constructor() {
    this.sweep.unref();
  }

  create(sql: string, target: StatementTarget, id: string = randomUUID()): Statement {
    const now = Date.now();
    const statement: Statement = {
      id,
      sql,
      status: 'SUBMITTED',
      database: target.Database,
      createdAt: now,
      updatedAt: now,
      durationNs: -1,
      pid: 0,
      queryId: 0,
      resultRows: -1,
      resultSize: -1,
      hasResultSet: false,
      cancelled: false,
    };
    if (target.DbUser) statement.dbUser = target.DbUser;
    if (target.SecretArn) statement.secretArn = target.SecretArn;
    if (target.ClusterIdentifier) statement.clusterIdentifier = target.ClusterIdentifier;
    if (target.WorkgroupName) statement.workgroupName = target.WorkgroupName;
    if (target.StatementName) statement.statementName = target.StatementName;
    return statement;
  }

  /** Checks a new statement may start: it names a cluster or workgroup, and the limit of active statements is not reached. */
  admit(target: StatementTarget): void {
    if (!target.ClusterIdentifier && !target.WorkgroupName)
      throw new AwsError('ValidationException', 'Either ClusterIdentifier or WorkgroupName must be specified.');
    let running = 0;
    for (const known of this.statements.values()) if (active(known)) running++;
    if (running >= MAX_ACTIVE)
      throw new AwsError('ActiveStatementsExceededException', `The number of active statements exceeds the limit of ${MAX_ACTIVE}.`);
  }

  add(statement: Statement): void {
    this.statements.set(statement.id, statement);
  }

  find(id: string): Statement {
    const [parentId, index] = id.split(':');
    const parent = this.statements.get(parentId!);
    const found = index === undefined ? parent : parent?.subStatements?.[Number(index) - 1];
    if (!found) throw new AwsError('ResourceNotFoundException', `Query ${id} does not exist.`);
    return found;
  }

  /** Every statement is cancelled (the sandbox stopping); results go with the results directory. */
  close(): void {
    clearInterval(this.sweep);
    for (const statement of this.statements.values()) statement.cancelled = true;
  }

  private expire(now: number): void {
    for (const [id, statement] of this.statements) {
      if (now - statement.createdAt < RETENTION_MS || active(statement)) continue;
      for (const part of [statement, ...(statement.subStatements ?? [])]) if (part.file) rmSync(part.file, { force: true });
      this.statements.delete(id);
    }
  }
}

/** Epoch seconds: the JS SDK reads awsJson timestamps as numbers and rejects ISO strings. */
export function seconds(ms: number): number {
  return ms / 1000;
}

/** The target fields AWS echoes back with a statement. */
export function targetOf(statement: Statement): Record<string, string> {
  const out: Record<string, string> = {};
  if (statement.clusterIdentifier) out.ClusterIdentifier = statement.clusterIdentifier;
  if (statement.workgroupName) out.WorkgroupName = statement.workgroupName;
  if (statement.dbUser) out.DbUser = statement.dbUser;
  if (statement.secretArn) out.SecretArn = statement.secretArn;
  return out;
}

/** A statement as DescribeStatement lists it (and each part of a batch). */
export function summary(statement: Statement): Record<string, unknown> {
  const out: Record<string, unknown> = {
    Id: statement.id,
    Status: statement.status,
    Duration: statement.durationNs,
    ResultRows: statement.resultRows,
    ResultSize: statement.resultSize,
    HasResultSet: statement.hasResultSet,
    QueryString: statement.sql,
    CreatedAt: seconds(statement.createdAt),
    UpdatedAt: seconds(statement.updatedAt),
    RedshiftQueryId: statement.queryId,
  };
  if (statement.error) out.Error = statement.error;
  if (statement.statementName) out.StatementName = statement.statementName;
  return out;
}
