import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Logger } from '../../shared/node/log.js';
import { tempDir } from '../helpers/core.js';

describe('Logger redaction', () => {
  const log = new Logger(undefined);

  it.each([
    ['aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', 'wJalrXUtnFEMI'],
    ['connecting with AKIAIOSFODNN7EXAMPLE', 'AKIAIOSFODNN7EXAMPLE'],
    ['postgres://u@h/db?password=s3cr3t&x=1', 's3cr3t'],
    ['{"Password":"hunter2hunter2"}', 'hunter2hunter2'],
    ['key: -----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----', 'b3BlbnNzaC1rZXktdjEAAAAA'],
  ])('masks %s', (text, secret) => {
    expect(log.redact(text)).not.toContain(secret);
  });

  it('masks registered secret values wherever they appear, in memory and on disk', async () => {
    const dir = tempDir();
    const fileLog = new Logger(dir);
    fileLog.addSecret('correct-horse-battery');
    fileLog.error('test', 'failed', new Error('auth failed for correct-horse-battery'));
    await fileLog.flush();
    expect(fileLog.recent(1)[0]!.message).toContain('[secret redacted]');
    const onDisk = readFileSync(join(dir, 'tributary.log'), 'utf8');
    expect(onDisk).toContain('auth failed for [secret redacted]');
    expect(onDisk).not.toContain('correct-horse-battery');
  });
});
