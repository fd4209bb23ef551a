import { existsSync, readFileSync, rmSync } from 'node:fs';
import { z } from 'zod';
import writeFileAtomic from 'write-file-atomic';

/** What a running sandbox daemon publishes about itself, for the app, the CLI and tests: everything they need of it. */
export const runFileSchema = z.object({
  pid: z.number().int(),
  startedAt: z.string(),
  endpoint: z.string(),
  /** The run's access key pair, which the endpoint requires (SigV4): for the main process only, like `adminPassword`. */
  credentials: z.object({ accessKeyId: z.string(), secretAccessKey: z.string() }),
  services: z.array(
    z.object({
      id: z.string(),
      name: z.string(),
      port: z.number().int(),
      version: z.string(),
      /** Extra facts a client needs, e.g. the master's SSH user and key file. */
      detail: z.string().optional(),
    }),
  ),
  master: z.object({
    host: z.string(),
    sshPort: z.number().int(),
    user: z.string(),
    keyFile: z.string(),
    knownHostsLine: z.string(),
    thriftPort: z.number().int(),
    /** The Spark Thrift Server's password for this run (any user name): main process only. */
    thriftPassword: z.string(),
  }),
  redshift: z.object({
    host: z.string(),
    port: z.number().int(),
    adminUser: z.string(),
    /** The warehouse's admin login: for the main process only (this file is 0600), never for the renderer or a log. */
    adminPassword: z.string(),
  }),
});

export type RunFile = z.infer<typeof runFileSchema>;

export function readRunFile(path: string): RunFile | undefined {
  if (!existsSync(path)) return undefined;
  try {
    const parsed = runFileSchema.safeParse(JSON.parse(readFileSync(path, 'utf8')));
    return parsed.success ? parsed.data : undefined;
  } catch {
    // Torn or hand-edited: no daemon can be trusted from it.
    return undefined;
  }
}

export function writeRunFile(path: string, value: RunFile): void {
  writeFileAtomic.sync(path, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600 });
}

export function removeRunFile(path: string): void {
  rmSync(path, { force: true });
}
