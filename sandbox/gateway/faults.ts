import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { z } from 'zod';
import { FAULT_TOKEN_HEADER, faultRulesSchema, type ruleSchema } from '../client/faults.js';

type Rule = z.output<typeof ruleSchema> & { hits: number; entriesFailed: number };

/** The gateway's side of fault injection (the rules' schema and their client are in client/faults.ts). */

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
