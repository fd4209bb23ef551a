import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from '../../shared/node/log.js';
import { AwsError } from '../gateway/aws-error.js';
import type { Caller } from '../gateway/server.js';
import { errorText, Executor, SCOPE } from './data-api/executor.js';
import { dataApiOperations, schemas, type Schemas } from './data-api/handlers.js';
import { StatementStore } from './data-api/statements.js';

export interface DataApiOptions {
  /** The Redshift endpoint (the proxy), so Redshift SQL works. */
  proxyPort: number;
  user: string;
  password: string;
  /** Default database for statements that name none. */
  database: string;
  log: Logger;
  /** Where results wait for GetStatementResult; a temporary directory by default. */
  resultsDir?: string;
  /** A Redshift Serverless workgroup's status, or undefined when the caller's region has none of that name. */
  workgroupStatus?: (region: string, name: string) => string | undefined;
  /** The database user AWS maps a caller to when it names a workgroup and no secret (IAM:alice, IAMR:role). */
  databaseUserOf?: (callerArn: string) => string;
}

export interface DataApi {
  handle(operation: string, input: unknown, caller?: Caller): Promise<unknown>;
  close(): Promise<void>;
}

/**
 * The Redshift Data API over the sandbox: statements (data-api/statements.ts) run asynchronously
 * on a small pool of connections to the Redshift endpoint (data-api/executor.ts), results wait on
 * disk for GetStatementResult and expire after 24 hours as on AWS (data-api/handlers.ts answers
 * each operation). No HTTP here: the gateway calls `handle` with the operation name and the JSON body.
 */
export function createDataApi(options: DataApiOptions): DataApi {
  const { log } = options;
  log.addSecret(options.password);
  const dir = options.resultsDir ?? mkdtempSync(join(tmpdir(), 'tributary-data-api-'));
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const ownsDir = !options.resultsDir;
  const store = new StatementStore();
  const executor = new Executor({ proxyPort: options.proxyPort, user: options.user, password: options.password, dir, log });
  const operations = dataApiOperations(store, executor);

  /** A workgroup must exist and be AVAILABLE; signed in by IAM alone, the statement runs as the caller's database user. */
  const runAs = (target: Record<string, unknown>, caller: Caller | undefined): string | undefined => {
    const workgroup = target.WorkgroupName;
    if (typeof workgroup !== 'string' || !caller) return undefined;
    const status = options.workgroupStatus?.(caller.region, workgroup);
    if (!status) throw new AwsError('ValidationException', `Workgroup ${workgroup} not found.`);
    if (status !== 'AVAILABLE') throw new AwsError('ValidationException', `Workgroup ${workgroup} is ${status}, not AVAILABLE.`);
    return target.SecretArn || target.DbUser ? undefined : options.databaseUserOf?.(caller.arn);
  };

  return {
    async handle(operation, input, caller) {
      if (!(operation in operations))
        throw new AwsError('ValidationException', `Operation ${operation} is not supported by the sandbox's Redshift Data API.`);
      const op = operation as keyof Schemas;
      const parsed = schemas[op].safeParse(input ?? {});
      if (!parsed.success) {
        const issue = parsed.error.issues[0]!;
        throw new AwsError(
          'ValidationException',
          `1 validation error detected: Value at '${issue.path.join('.')}' failed to satisfy constraint: ${issue.message}`,
        );
      }
      try {
        const user = runAs(parsed.data as Record<string, unknown>, caller);
        return await (operations[op] as (value: unknown, as?: string) => Promise<unknown>)(parsed.data, user);
      } catch (error) {
        if (error instanceof AwsError) throw error;
        log.error(SCOPE, `${operation} failed`, error);
        throw new AwsError('InternalServerException', errorText(error), 500);
      }
    },
    async close() {
      store.close();
      await executor.close();
      if (ownsDir) rmSync(dir, { recursive: true, force: true });
    },
  };
}
