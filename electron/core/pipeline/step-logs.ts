import { gunzipSync } from 'node:zlib';
import { DescribeClusterCommand, type EMRClient } from '@aws-sdk/client-emr';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { AppError } from '../../../shared/errors.js';

/** When following starts late, this much of each log is shown first. */
export const TAIL_BYTES = 64 * 1024;

/** EMR's answer for a cluster or step that is not there, as the app's NOT_FOUND. */
export function emrError(error: unknown, clusterId: string): unknown {
  const name = (error as { name?: string }).name;
  if (name === 'InvalidRequestException' || name === 'ResourceNotFoundException') {
    return new AppError('NOT_FOUND', `EMR: ${(error as Error).message || `no such cluster or step on ${clusterId}`}`);
  }
  return error;
}

interface LogPiece {
  stream: 'stdout' | 'stderr';
  text: string;
}

/** Step logs reach the cluster's LogUri (<LogUri>/<cluster>/steps/<step>/stdout.gz) while the step runs and when it ends. */
export class S3StepLogs {
  private readonly sent = { stdout: -1, stderr: -1 };
  private lastRead = 0;

  private constructor(
    private readonly s3: S3Client,
    private readonly location: { bucket: string; prefix: string } | undefined,
    private readonly pollMs: number,
  ) {}

  static async of(
    emr: EMRClient,
    s3: S3Client,
    clusterId: string,
    stepId: string,
    pollMs: number,
    signal: AbortSignal,
  ): Promise<S3StepLogs> {
    const cluster = await emr
      .send(new DescribeClusterCommand({ ClusterId: clusterId }), { abortSignal: signal })
      .catch((error: unknown) => {
        throw emrError(error, clusterId);
      });
    const match = /^s3[an]?:\/\/([^/]+)\/?(.*)$/.exec(cluster.Cluster?.LogUri ?? '');
    if (!match) return new S3StepLogs(s3, undefined, pollMs);
    const prefix = match[2] ? (match[2].endsWith('/') ? match[2] : `${match[2]}/`) : '';
    return new S3StepLogs(s3, { bucket: match[1]!, prefix: `${prefix}${clusterId}/steps/${stepId}/` }, pollMs);
  }

  async read(final: boolean, signal: AbortSignal): Promise<LogPiece[]> {
    if (!this.location) {
      if (this.sent.stdout === -1 && final) {
        this.sent.stdout = 0;
        return [
          {
            stream: 'stderr',
            text: 'This cluster has no LogUri, so EMR keeps step logs on the master only (/mnt/var/log/hadoop/steps/).\n',
          },
        ];
      }
      return [];
    }
    if (!final && Date.now() - this.lastRead < this.pollMs) return [];
    this.lastRead = Date.now();
    const out: LogPiece[] = [];
    for (const stream of ['stdout', 'stderr'] as const) {
      try {
        const answer = await this.s3.send(
          new GetObjectCommand({ Bucket: this.location.bucket, Key: `${this.location.prefix}${stream}.gz` }),
          { abortSignal: signal },
        );
        const text = gunzipSync(await answer.Body!.transformToByteArray()).toString('utf8');
        let from = this.sent[stream];
        if (from < 0) from = Math.max(0, text.length - TAIL_BYTES);
        if (text.length > from) out.push({ stream, text: text.slice(from) });
        this.sent[stream] = text.length;
      } catch (error) {
        // Not uploaded yet (NoSuchKey) is the usual answer while a step runs.
        if ((error as { name?: string }).name !== 'NoSuchKey') throw error;
      }
    }
    return out;
  }
}
