import { z } from 'zod';
import { call, stream } from '../define.js';

export type SandboxState = 'stopped' | 'starting' | 'running' | 'stopping' | 'failed';

export interface SandboxServiceStatus {
  id: string;
  name: string;
  state: 'stopped' | 'starting' | 'running' | 'failed';
  /** 127.0.0.1 port, when it listens. */
  port?: number;
  version?: string;
  detail?: string;
}

export interface SandboxStatus {
  state: SandboxState;
  /** The one AWS endpoint for every service in the sandbox (AWS_ENDPOINT_URL style). */
  endpoint?: string;
  /** True once first-start setup (downloads, initialisation) has completed. */
  setUp: boolean;
  services: SandboxServiceStatus[];
  error?: string;
}

export type SandboxProgress =
  | {
      kind: 'step';
      id: string;
      label: string;
      state: 'running' | 'done' | 'skipped' | 'failed';
      message?: string;
      bytesDone?: number;
      bytesTotal?: number;
    }
  | { kind: 'service'; id: string; name: string; state: SandboxServiceStatus['state']; port?: number }
  | { kind: 'status'; status: SandboxStatus };

const none = z.object({}).strict();

export const sandbox = {
  status: call<SandboxStatus>()({ summary: 'Report the local sandbox and each of its services.', input: none }),
  start: stream<SandboxProgress>()({
    summary: 'Set up (first time) and start the local sandbox, reporting each step; cancel stops it.',
    input: none,
  }),
  stop: call<SandboxStatus>()({ summary: 'Stop every sandbox service; data stays.', input: none }),
  reset: call<SandboxStatus>()({
    summary: 'Stop the sandbox and delete its data (downloads are kept).',
    input: z.object({ confirm: z.literal('reset', { message: 'Type "reset" to confirm' }) }).strict(),
  }),
  log: call<string>()({
    summary: 'The last lines of one sandbox service’s log.',
    input: z.object({ service: z.string().regex(/^[a-z0-9-]{1,40}$/), lines: z.number().int().min(1).max(500).default(40) }).strict(),
  }),
};
