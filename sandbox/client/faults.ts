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

export const ruleSchema = z
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

export const faultRulesSchema = z.object({ rules: z.array(ruleSchema).max(32) }).strict();

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
