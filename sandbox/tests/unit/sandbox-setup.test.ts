import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkPrerequisites } from '../../setup/prerequisites.js';
import { jarFile, mavenJarsStep, type MavenArtifact } from '../../setup/maven-jars.js';
import { tempDir } from '../../../tests/helpers/core.js';

function withEnv<T>(vars: Record<string, string>, work: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  Object.assign(process.env, vars);
  return work().finally(() => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });
}

describe('sandbox prerequisites: one message that names the fix', () => {
  it('passes on this machine (Java 17+, Python 3.9+)', async () => {
    await expect(checkPrerequisites([tempDir()], 1)).resolves.toMatchObject({ python: expect.any(String) });
  });

  it('names Java and how to get it when there is none', async () => {
    await withEnv({ JAVA_HOME: '/nonexistent/jdk' }, () =>
      expect(checkPrerequisites([tempDir()], 1)).rejects.toThrow(/Java was not found.*Java 17.*JAVA_HOME/s),
    );
  });

  it('names Python and how to get it when there is none', async () => {
    await withEnv({ TRIBUTARY_PYTHON: '/nonexistent/python3' }, () =>
      expect(checkPrerequisites([tempDir()], 1)).rejects.toThrow(/Python 3 was not found.*TRIBUTARY_PYTHON/s),
    );
  });

  it('says how much disk is free and how much is needed', async () => {
    await expect(checkPrerequisites([tempDir()], 2 ** 60)).rejects.toThrow(/GiB free under .*needs .*GiB\. Free some space/);
  });
});

describe('downloads from Maven Central: verified, resumable, refused clearly', () => {
  const jar: MavenArtifact = { group: 'org.example', artifact: 'thing', version: '1.0' };
  const body = Buffer.alloc(300_000, 1);
  let server: Server;
  let base: string;
  let mode: 'ok' | 'bad-hash' | 'refuse' = 'ok';

  beforeAll(async () => {
    const { createHash } = await import('node:crypto');
    server = createServer((req, res) => {
      if (mode === 'refuse') return res.writeHead(403).end();
      if (req.url?.endsWith('.sha1')) return res.end(mode === 'bad-hash' ? '0'.repeat(40) : createHash('sha1').update(body).digest('hex'));
      res.writeHead(200, { 'content-length': body.length }).end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const run = (dir: string) =>
    withEnv({ TRIBUTARY_MAVEN_URL: base }, async () => {
      const step = mavenJarsStep(dir, [jar]);
      const progress: number[] = [];
      await step.run((p) => p.bytesDone !== undefined && progress.push(p.bytesDone), new AbortController().signal);
      return progress;
    });

  it('downloads with byte progress, and is done afterwards', async () => {
    mode = 'ok';
    const dir = tempDir();
    const progress = await run(dir);
    expect(progress.at(-1)).toBe(body.length);
    expect(await mavenJarsStep(dir, [jar]).done()).toBe(true);
    expect(readdirSync(dir)).toEqual(['thing-1.0.jar']);
  });

  it('discards a download that does not match its published SHA-1', async () => {
    mode = 'bad-hash';
    const dir = tempDir();
    await expect(run(dir)).rejects.toThrow(/did not match its published SHA-1.*discarded/);
    expect(existsSync(jarFile(dir, jar))).toBe(false);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('says the download was refused, and how to point at a mirror', async () => {
    mode = 'refuse';
    await expect(run(tempDir())).rejects.toThrow(/Could not download .*HTTP 403.*TRIBUTARY_MAVEN_URL/);
  });
});
