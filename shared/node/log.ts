import { appendFile, mkdir, rename, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { LogLine } from '../contract/index.js';
import { redactSecrets } from './redact.js';

const RING_SIZE = 5000;
const MAX_FILE_BYTES = 5 * 1024 * 1024;

type Listener = (line: LogLine) => void;

/**
 * The app log: a ring buffer the UI can follow, mirrored to a file in the data
 * directory. Every line passes through `redact` first, so a secret that slips
 * into an error message is masked before it is kept anywhere.
 */
export class Logger {
  private seq = 0;
  private readonly ring: LogLine[] = [];
  private readonly listeners = new Set<Listener>();
  private readonly knownSecrets = new Set<string>();
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly dir: string | undefined,
    private readonly echo: boolean = false,
  ) {}

  /** Values registered here are masked wherever they appear. */
  addSecret(value: string): void {
    if (value.length >= 4) this.knownSecrets.add(value);
  }

  removeSecret(value: string): void {
    this.knownSecrets.delete(value);
  }

  redact(text: string): string {
    let out = text;
    for (const value of this.knownSecrets) out = out.split(value).join('[secret redacted]');
    return redactSecrets(out);
  }

  debug(scope: string, message: string): void {
    this.write('debug', scope, message);
  }

  info(scope: string, message: string): void {
    this.write('info', scope, message);
  }

  warn(scope: string, message: string, error?: unknown): void {
    this.write('warn', scope, withError(message, error));
  }

  error(scope: string, message: string, error?: unknown): void {
    this.write('error', scope, withError(message, error));
  }

  recent(count: number): LogLine[] {
    return count === 0 ? [] : this.ring.slice(-count);
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Resolves when every line so far is on disk. */
  flush(): Promise<void> {
    return this.writing;
  }

  private write(level: LogLine['level'], scope: string, message: string): void {
    const line: LogLine = { seq: ++this.seq, at: new Date().toISOString(), level, scope, message: this.redact(message) };
    this.ring.push(line);
    if (this.ring.length > RING_SIZE) this.ring.shift();
    for (const listener of this.listeners) listener(line);
    const text = `${line.at} ${level.toUpperCase()} [${scope}] ${line.message}\n`;
    if (this.echo) process.stderr.write(text);
    if (this.dir) {
      const dir = this.dir;
      this.writing = this.writing.then(() => appendRotating(dir, text)).catch(() => undefined);
    }
  }
}

function withError(message: string, error: unknown): string {
  if (error === undefined) return message;
  const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
  return `${message}: ${detail}`;
}

async function appendRotating(dir: string, text: string): Promise<void> {
  const file = join(dir, 'tributary.log');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const size = await stat(file).then(
    (s) => s.size,
    () => 0,
  );
  if (size > MAX_FILE_BYTES) await rename(file, join(dir, 'tributary.1.log'));
  await appendFile(file, text, { mode: 0o600 });
}
