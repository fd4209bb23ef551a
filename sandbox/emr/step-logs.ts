import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';

/** How often a running step's logs reach the LogUri: EMR takes minutes; the sandbox keeps the live tail a few seconds behind. */
export const STEP_LOG_UPLOAD_MS = 2000;

/** The logs EMR keeps of a step, each uploaded as <name>.gz. */
const NAMES = ['stdout', 'stderr', 'controller'] as const;

export interface S3Location {
  bucket: string;
  prefix: string;
}

/** Where EMR puts a step's logs: <LogUri>/<cluster-id>/steps/<step-id>/ (none when the cluster has no LogUri). */
export function stepLogLocation(logUri: string | undefined, clusterId: string, stepId: string): S3Location | undefined {
  const match = /^s3[an]?:\/\/([^/]+)\/?(.*)$/.exec(logUri ?? '');
  if (!match) return undefined;
  const prefix = match[2] ? (match[2].endsWith('/') ? match[2] : `${match[2]}/`) : '';
  return { bucket: match[1]!, prefix: `${prefix}${clusterId}/steps/${stepId}/` };
}

/**
 * Copies a step's log files from the master (its local directory) to S3 as gzip objects, as EMR's
 * log pusher does: every few seconds while the step runs, and once more when it has ended.
 */
export class StepLogUpload {
  private readonly uploaded = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private pending: Promise<void> = Promise.resolve();

  constructor(
    private readonly s3: S3Client,
    private readonly dir: string,
    /** Read at each upload: the cluster's LogUri may become known while the step runs. */
    private readonly location: () => S3Location | undefined,
    private readonly onError: (error: unknown) => void,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.upload(), STEP_LOG_UPLOAD_MS);
    this.timer.unref();
  }

  /** The last upload; the step's final state is published after it, so a reader that sees the end finds every line. */
  finish(): Promise<void> {
    clearInterval(this.timer);
    return this.upload();
  }

  private upload(): Promise<void> {
    // One upload at a time, in order: a slow PUT is never overtaken by an older copy of the same log.
    this.pending = this.pending.then(() => this.uploadChanged()).catch(this.onError);
    return this.pending;
  }

  private async uploadChanged(): Promise<void> {
    const where = this.location();
    if (!where) return;
    for (const name of NAMES) {
      const file = join(this.dir, name);
      if (!existsSync(file)) continue;
      const size = statSync(file).size;
      if (this.uploaded.get(name) === size) continue;
      await this.s3.send(
        new PutObjectCommand({
          Bucket: where.bucket,
          Key: `${where.prefix}${name}.gz`,
          Body: gzipSync(readFileSync(file)),
          ContentType: 'application/gzip',
        }),
      );
      this.uploaded.set(name, size);
    }
  }
}
