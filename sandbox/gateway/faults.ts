import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { join } from 'node:path';
import { z } from 'zod';

/**
 * Test-only fault injection in the sandbox gateway, off until a rule is set.
 * Rules are set through `PUT /__tributary/faults` on the gateway (loopback
 * only, like the gateway), with the token in `<sandbox>/state/gateway-fault-token`
 * (0600) as the `x-tributary-fault-token` header; `GET` reads them back with
 * their hit counts, `DELETE` clears them.
 *
 * - `error`: the next `calls` calls (every call when absent) of `operation` on
 *   `service` fail as a whole with the AWS error `errorCode` (HTTP `status`).
 * - `partial`: Kinesis PutRecords as under throttling: each entry fails with
 *   probability `fraction` (ErrorCode `errorCode`, ProvisionedThroughputExceededException
 *   by default) and is not written; the others are written and acknowledged.
 *
 * `match`, when given, limits a rule to requests whose body contains it (a stream name, say).
 * Rules apply to services speaking AWS's JSON or Query protocols (Kinesis, EMR, Redshift, IAM, EC2, STS…), not to S3.
 */
export const FAULTS_PATH = '/__tributary/faults';
export const FAULT_TOKEN_HEADER = 'x-tributary-fault-token';

export function faultTokenPath(stateDir: string): string {
  return join(stateDir, 'gateway-fault-token');
}

const ruleSchema = z
  .object({
    service: z.string().min(1).max(64),
    operation: z.string().min(1).max(128),
    kind: z.enum(['error', 'partial']),
    errorCode: z
      .string()
      .regex(/^[A-Za-z0-9.]{1,128}$/)
      .default('ProvisionedThroughputExceededException'),
    status: z.number().int().min(400).max(599).default(400),
    fraction: z.number().min(0).max(1).default(0.5),
    calls: z.number().int().min(1).optional(),
    match: z.string().min(1).max(256).optional(),
    /** The error's message (AWS's words), instead of "Injected fault: <code>". */
    message: z.string().min(1).max(1024).optional(),
  })
  .strict();

export type FaultRule = z.input<typeof ruleSchema>;
type Rule = z.output<typeof ruleSchema> & { hits: number; entriesFailed: number };

export const faultRulesSchema = z.object({ rules: z.array(ruleSchema).max(32) }).strict();

/** What the gateway does with one request: nothing, answer an error, or forward fewer PutRecords entries and merge. */
export type Injected =
  | { kind: 'error'; status: number; body: { __type: string; message: string } }
  | { kind: 'answer'; body: string }
  | { kind: 'partial'; body: string; merge(answer: string): string };

interface PutRecordsRequest {
  StreamName?: string;
  StreamARN?: string;
  Records?: unknown[];
}

export class Faults {
  private rules: Rule[] = [];

  constructor(
    private readonly token: string,
    private readonly random: () => number = Math.random,
  ) {}

  /** A control request carries the token (compared in constant time). */
  authorized(req: IncomingMessage): boolean {
    const given = Buffer.from(String(req.headers[FAULT_TOKEN_HEADER] ?? ''));
    const expected = Buffer.from(this.token);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }

  set(input: unknown): void {
    this.rules = faultRulesSchema.parse(input).rules.map((rule) => ({ ...rule, hits: 0, entriesFailed: 0 }));
  }

  list(): { rules: Rule[] } {
    return { rules: this.rules };
  }

  /** Whether any rule may apply to this service (its requests' bodies are then read). */
  targets(service: string | undefined): boolean {
    return service !== undefined && this.rules.some((r) => r.service === service && (r.calls === undefined || r.hits < r.calls));
  }

  take(service: string | undefined, operation: string, body: string): Injected | undefined {
    const rule = this.rules.find(
      (r) =>
        r.service === service &&
        r.operation === operation &&
        (r.calls === undefined || r.hits < r.calls) &&
        (!r.match || body.includes(r.match)),
    );
    if (!rule) return undefined;
    rule.hits++;
    if (rule.kind === 'error')
      return {
        kind: 'error',
        status: rule.status,
        body: { __type: rule.errorCode, message: rule.message ?? `Injected fault: ${rule.errorCode}` },
      };
    if (service !== 'kinesis' || operation !== 'PutRecords') return undefined;
    let request: PutRecordsRequest;
    try {
      request = JSON.parse(body) as PutRecordsRequest;
    } catch {
      return undefined;
    }
    const records = request.Records ?? [];
    const failed = records.map(() => this.random() < rule.fraction);
    const failures = failed.filter(Boolean).length;
    rule.entriesFailed += failures;
    if (failures === 0) return undefined;
    const failure = {
      ErrorCode: rule.errorCode,
      ErrorMessage: `Rate exceeded for shard in stream ${request.StreamName ?? request.StreamARN ?? ''} under account 123456789012. (injected)`,
    };
    if (failures === records.length)
      return { kind: 'answer', body: JSON.stringify({ FailedRecordCount: failures, Records: records.map(() => failure) }) };
    const kept = records.filter((_, i) => !failed[i]);
    return {
      kind: 'partial',
      body: JSON.stringify({ ...request, Records: kept }),
      merge(answer) {
        const written = JSON.parse(answer) as { FailedRecordCount?: number; Records?: unknown[]; [key: string]: unknown };
        const results = written.Records ?? [];
        let next = 0;
        return JSON.stringify({
          ...written,
          FailedRecordCount: (written.FailedRecordCount ?? 0) + failures,
          Records: failed.map((isFailed) => (isFailed ? failure : results[next++])),
        });
      },
    };
  }
}

/** Sets the gateway's fault rules (an empty list clears them). For tests and benchmarks. */
export async function setGatewayFaults(endpoint: string, token: string, rules: FaultRule[]): Promise<void> {
  const answer = await fetch(`${endpoint}${FAULTS_PATH}`, {
    method: 'PUT',
    headers: { [FAULT_TOKEN_HEADER]: token, 'content-type': 'application/json' },
    body: JSON.stringify({ rules }),
  });
  if (!answer.ok) throw new Error(`Setting gateway faults failed: ${answer.status} ${await answer.text()}`);
}

export async function gatewayFaults(
  endpoint: string,
  token: string,
): Promise<{ rules: (FaultRule & { hits: number; entriesFailed: number })[] }> {
  const answer = await fetch(`${endpoint}${FAULTS_PATH}`, { headers: { [FAULT_TOKEN_HEADER]: token } });
  if (!answer.ok) throw new Error(`Reading gateway faults failed: ${answer.status}`);
  return (await answer.json()) as { rules: (FaultRule & { hits: number; entriesFailed: number })[] };
}
