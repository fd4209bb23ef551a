import { createHash } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { AppError } from '../../shared/errors.js';
import type { SetupStep } from './step.js';

export interface MavenArtifact {
  group: string;
  artifact: string;
  version: string;
}

/**
 * What Spark on the master needs beyond pyspark: S3A for Spark 3.5, which is
 * built on Hadoop 3.3.4 (hadoop-aws must match it exactly, with the AWS SDK
 * bundle it was built against), and Derby's network server and client, the
 * same Derby pyspark embeds, so the metastore can be shared by processes.
 */
export const sparkJars: MavenArtifact[] = [
  { group: 'org.apache.hadoop', artifact: 'hadoop-aws', version: '3.3.4' },
  { group: 'com.amazonaws', artifact: 'aws-java-sdk-bundle', version: '1.12.262' },
  { group: 'org.apache.derby', artifact: 'derbynet', version: '10.14.2.0' },
  { group: 'org.apache.derby', artifact: 'derbyclient', version: '10.14.2.0' },
];

export function jarFile(dir: string, a: MavenArtifact): string {
  return join(dir, `${a.artifact}-${a.version}.jar`);
}

function jarUrl(a: MavenArtifact): string {
  const repository = process.env.TRIBUTARY_MAVEN_URL ?? 'https://repo1.maven.org/maven2';
  return `${repository}/${a.group.replace(/\./g, '/')}/${a.artifact}/${a.version}/${a.artifact}-${a.version}.jar`;
}

/** Downloads each jar once into the cache, verified against Maven Central's SHA-1, through a .part file. */
export function mavenJarsStep(dir: string, artifacts: MavenArtifact[]): SetupStep {
  return {
    id: 'jars',
    label: `Spark jars (${artifacts.map((a) => `${a.artifact} ${a.version}`).join(', ')})`,
    done: () => Promise.resolve(artifacts.every((a) => existsSync(jarFile(dir, a)))),
    async run(progress, signal) {
      mkdirSync(dir, { recursive: true });
      for (const artifact of artifacts) {
        const target = jarFile(dir, artifact);
        if (existsSync(target)) continue;
        const url = jarUrl(artifact);
        const expected = (await fetchText(`${url}.sha1`, signal)).trim().split(/\s+/)[0]?.toLowerCase();
        const response = await fetch(url, { signal }).catch((error: unknown) => refused(url, error));
        if (!response.ok || !response.body) refused(url, `HTTP ${response.status}`);
        const total = Number(response.headers.get('content-length')) || undefined;
        const hash = createHash('sha1');
        let done = 0;
        const body = Readable.fromWeb(response.body as WebReadableStream<Uint8Array>);
        body.on('data', (chunk: Buffer) => {
          hash.update(chunk);
          done += chunk.length;
          progress({ message: `${artifact.artifact}-${artifact.version}.jar`, bytesDone: done, bytesTotal: total });
        });
        const part = `${target}.part`;
        await pipeline(body, createWriteStream(part), { signal }).catch((error: unknown) => {
          rmSync(part, { force: true });
          if (signal.aborted) throw new AppError('CANCELLED', 'Download cancelled; the next start resumes it');
          if ((error as NodeJS.ErrnoException).code === 'ENOSPC')
            throw new AppError('UNAVAILABLE', 'The disk is full; free some space and start again.');
          refused(url, error);
        });
        const actual = hash.digest('hex');
        if (expected && actual !== expected) {
          rmSync(part, { force: true });
          throw new AppError(
            'UNAVAILABLE',
            `${url} did not match its published SHA-1 (${actual} ≠ ${expected}); the download was discarded.`,
          );
        }
        renameSync(part, target);
      }
    },
  };
}

async function fetchText(url: string, signal: AbortSignal): Promise<string> {
  const response = await fetch(url, { signal }).catch((error: unknown) => refused(url, error));
  if (!response.ok) refused(url, `HTTP ${response.status}`);
  return response.text();
}

function refused(url: string, reason: unknown): never {
  const detail = reason instanceof Error ? (reason.cause instanceof Error ? reason.cause.message : reason.message) : String(reason);
  throw new AppError(
    'UNAVAILABLE',
    `Could not download ${url} (${detail}). Maven Central must be reachable (or set TRIBUTARY_MAVEN_URL to a mirror); start again to resume.`,
  );
}
