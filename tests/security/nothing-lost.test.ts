import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, readFileSync, existsSync, writeFileSync } from 'node:fs';
import * as fsPromises from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { EncryptedFileStore } from '../../electron/core/secrets/encrypted-file-store.js';
import { addKnownHost } from '../../electron/core/ssh/known-hosts.js';
import { lockDataDir } from '../../electron/core/storage/data-dir-lock.js';
import { JsonDocument } from '../../electron/core/storage/json-file.js';
import { tempDir, testCore } from '../helpers/core.js';
import { startWebHostProcess } from '../helpers/web-host-process.js';

// Item 8: nothing lost. Without the fix: 50 concurrent saves kept one query, concurrent secrets and host keys lost
// all but one, a second web host started on a data directory in use, the directory was never fsynced after the
// rename, and spill files from a crash stayed on disk.

/** Every directory whose handle was fsynced: node:fs/promises' open, watched. */
const syncedDirs = vi.hoisted(() => new Set<string>());
vi.mock('node:fs/promises', async (importOriginal) => {
  const actual = await importOriginal<typeof fsPromises>();
  const open: typeof actual.open = async (...args) => {
    const handle = await actual.open(...args);
    const sync = handle.sync.bind(handle);
    handle.sync = async () => {
      await sync();
      if ((await handle.stat()).isDirectory()) syncedDirs.add(String(args[0]));
    };
    return handle;
  };
  return { ...actual, open, default: { ...actual, open } };
});

const signal = new AbortController().signal;

describe('read-modify-writes under one mutex per file', () => {
  it('keeps all of 50 concurrent saves of different saved queries', async () => {
    const dir = tempDir();
    const core = await testCore(dir);
    await Promise.all(
      Array.from({ length: 50 }, (_, i) => core.handlers['queries.save']({ name: `query ${i}`, sql: `SELECT ${i}` }, { signal })),
    );
    expect((await core.handlers['queries.saved']({}, { signal })).map((q) => q.name).sort()).toHaveLength(50);
    const onDisk = JSON.parse(readFileSync(join(dir, 'saved-queries.json'), 'utf8')) as { queries: unknown[] };
    expect(onDisk.queries).toHaveLength(50);
    await core.dispose();
  });

  it('keeps all of 30 concurrent secrets in the encrypted file, and 10 host keys trusted at once', async () => {
    const dir = tempDir();
    const cipher = { encrypt: (plain: string) => Buffer.from(plain), decrypt: (sealed: Buffer) => sealed.toString() };
    const store = new EncryptedFileStore('electron-safe-storage', dir, cipher, () => undefined);
    await Promise.all(Array.from({ length: 30 }, (_, i) => store.set(`user/s${i}`, `v${i}`)));
    const reopened = new EncryptedFileStore('electron-safe-storage', dir, cipher, () => undefined);
    expect(await reopened.names()).toHaveLength(30);

    const knownHosts = join(dir, 'known_hosts');
    const key = (i: number) => Buffer.concat([Buffer.from([0, 0, 0, 11]), Buffer.from('ssh-ed25519'), Buffer.alloc(36, i)]);
    await Promise.all(Array.from({ length: 10 }, (_, i) => addKnownHost(knownHosts, `10.0.0.${i}`, 22, key(i))));
    expect(readFileSync(knownHosts, 'utf8').trim().split('\n')).toHaveLength(10);
  });

  it('recovers after a failed save: the next change is written', async () => {
    const dir = tempDir();
    const path = join(dir, 'state.json');
    const doc = new JsonDocument(
      path,
      z.object({ n: z.number() }),
      () => ({ n: 0 }),
      () => undefined,
    );
    await doc.current(); // loaded before the blocker is there, so what fails below is the save
    mkdirSync(join(path, 'blocker'), { recursive: true }); // a folder where the file goes: the rename fails, even as root
    await expect(doc.update(() => ({ n: 1 }))).rejects.toMatchObject({ code: 'STORAGE' });
    await fsPromises.rm(path, { recursive: true });
    await expect(doc.update((current) => ({ n: current.n + 2 }))).resolves.toEqual({ n: 2 });
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual({ n: 2 });
  });

  it('fsyncs the directory after the atomic rename', async () => {
    const dir = tempDir();
    const doc = new JsonDocument(
      join(dir, 'state.json'),
      z.object({ n: z.number() }),
      () => ({ n: 0 }),
      () => undefined,
    );
    syncedDirs.clear();
    await doc.update(() => ({ n: 1 }));
    expect([...syncedDirs]).toContain(dir);
  });
});

describe('one host per data directory', () => {
  it('a second web host on a data directory in use exits naming the holder’s pid, host and start', async () => {
    const dir = tempDir();
    const release = await lockDataDir(dir, 'electron');
    try {
      const holder = JSON.parse(readFileSync(join(dir, 'tributary.lock.json'), 'utf8')) as { since: string };
      const failure = await startWebHostProcess(dir).then(
        (host) => host.stop().then(() => new Error('the second host started')),
        (error: unknown) => error as Error,
      );
      expect(failure.message).toMatch(/exited with 1/);
      expect(failure.message).toContain(`is in use by Tributary's electron host (pid ${process.pid}, since ${holder.since})`);
    } finally {
      await release();
    }
  });

  it('takes over the lock of a holder that is gone', async () => {
    const dir = tempDir();
    // What a host killed a moment ago leaves: its lock, fresh (refreshed just before), and its holder, a pid that has exited.
    const gone = spawn(process.execPath, ['-e', '']);
    await once(gone, 'exit');
    mkdirSync(join(dir, 'tributary.lock'));
    writeFileSync(join(dir, 'tributary.lock.json'), JSON.stringify({ pid: gone.pid, host: 'web', since: new Date().toISOString() }));
    const release = await lockDataDir(dir, 'web');
    expect(JSON.parse(readFileSync(join(dir, 'tributary.lock.json'), 'utf8'))).toMatchObject({ pid: process.pid, host: 'web' });
    await release();
  });
});

describe('start-up sweeps', () => {
  it('removes result spill files a crash left', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'results'));
    writeFileSync(join(dir, 'results', 'r-1.arrow'), 'rows of a result the crash left');
    const core = await testCore(dir);
    expect(existsSync(join(dir, 'results', 'r-1.arrow'))).toBe(false);
    await core.dispose();
  });
});
