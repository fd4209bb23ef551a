import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCore, type Core } from '../../electron/core/core.js';
import { MemorySecretStore } from '../../electron/core/secrets/secret-store.js';
import { ChosenFiles } from '../../electron/core/storage/chosen-files.js';
import { checkoutDaemonCommand } from '../../sandbox/client/daemon-command.js';
import { chooseFileSchema, type ChooseFile } from '../../shared/contract/index.js';
import { replayFiles } from '../../electron/core/ingest/sources.js';
import { ResultRegistry } from '../../electron/core/results/registry.js';
import { WorkspaceFiles } from '../../electron/core/storage/file-access.js';
import { tempDir, testCore } from '../helpers/core.js';

/**
 * A compromised renderer (or anyone holding the web host's token) names the operator's files through the
 * contract: it must not read ~/.aws/credentials into S3 or a stream, nor overwrite ~/.ssh/authorized_keys.
 * Everything here is refused by the core before any AWS call is made, so no emulator is needed.
 */
const signal = new AbortController().signal;
const SECRET = 'aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYSECRETKEY';

let home: string;
let workspace: string;
let dataDir: string;
let core: Core;

async function drain(stream: AsyncIterable<unknown>): Promise<unknown[]> {
  const chunks: unknown[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return chunks;
}

async function failure(run: () => unknown): Promise<{ code: string; message: string }> {
  try {
    await run();
  } catch (error) {
    return error as { code: string; message: string };
  }
  throw new Error('expected a refusal');
}

beforeAll(async () => {
  home = tempDir('tributary-home-');
  mkdirSync(join(home, '.aws'));
  writeFileSync(join(home, '.aws', 'credentials'), `[default]\n${SECRET}\n`);
  mkdirSync(join(home, '.ssh'));
  writeFileSync(join(home, '.ssh', 'authorized_keys'), 'ssh-ed25519 AAAA operator\n');
  workspace = join(home, 'Tributary');
  // The data directory inside the workspace, so that refusing it is a check of its own.
  dataDir = join(workspace, 'data');
  mkdirSync(dataDir, { recursive: true });
  core = await testCore(dataDir, workspace);
  mkdirSync(join(workspace, '.hidden'));
  writeFileSync(join(workspace, '.hidden', 'id_ed25519'), 'PRIVATE');
  symlinkSync(join(home, '.aws', 'credentials'), join(workspace, 'innocent.log'));
  symlinkSync(join(home, '.ssh'), join(workspace, 'keys'));
});

afterAll(() => core?.dispose());

describe('files only where the operator chose them', () => {
  const upload = (path: string) => () => drain(core.handlers['pipeline.upload']({ bucket: 'any-bucket', key: 'k', path }, { signal }));

  it.each([
    ['an absolute path outside the workspace', () => join(home, '.aws', 'credentials'), /outside the workspace/],
    ['a relative path climbing out', () => '../.aws/credentials', /outside the workspace/],
    ['a symlink in the workspace to a file outside it', () => 'innocent.log', /outside the workspace/],
    ['a file in a hidden folder of the workspace', () => '.hidden/id_ed25519', /hidden/],
    ['the data directory', () => 'data/logs/tributary.log', /data directory/],
  ])('refuses to upload %s, before any AWS call, without its contents in the error', async (_, path, why) => {
    const refused = await failure(upload(path()));
    expect(refused.code).toBe('VALIDATION');
    expect(refused.message).toMatch(why);
    expect(refused.message).not.toContain('wJalr');
  });

  it('refuses to replay a file outside the workspace into a stream', async () => {
    const refused = await failure(() =>
      drain(
        core.handlers['ingest.start'](
          {
            stream: 'any-stream',
            source: { replay: { path: join(home, '.aws', 'credentials') } },
            recordsPerSecond: 10,
            partitionKey: 'record',
            concurrency: 1,
          } as Parameters<Core['handlers']['ingest.start']>[0],
          { signal },
        ),
      ),
    );
    expect(refused).toMatchObject({ code: 'VALIDATION' });
  });

  it('replays a workspace folder without the data directory inside it, nor hidden files or links out of it', async () => {
    mkdirSync(join(workspace, 'logs'), { recursive: true });
    writeFileSync(join(workspace, 'logs', 'access.log'), 'line\n');
    writeFileSync(join(dataDir, 'query-history.json'), '{"entries": []}');
    const files = await WorkspaceFiles.open(workspace, dataDir);
    const read = await replayFiles(await files.forRead('.', 'file or folder'), (p) => files.isAppData(p));
    expect(read.map((p) => relative(workspace, p))).toEqual(['logs/access.log']);
  });

  it('refuses to download over a file outside the workspace, through a symlinked folder or over a file without the operator’s word', async () => {
    const download =
      (path: string, overwrite = false) =>
      () =>
        drain(core.handlers['pipeline.download']({ bucket: 'any-bucket', key: 'k', path, overwrite }, { signal }));
    expect(await failure(download(join(home, '.ssh', 'authorized_keys'), true))).toMatchObject({ code: 'VALIDATION' });
    expect(await failure(download('keys/authorized_keys', true))).toMatchObject({ code: 'VALIDATION' });
    writeFileSync(join(workspace, 'report.csv'), 'kept');
    expect(await failure(download('report.csv'))).toMatchObject({ code: 'CONFLICT', message: /already exists/ });
    expect(readFileSync(join(home, '.ssh', 'authorized_keys'), 'utf8')).toBe('ssh-ed25519 AAAA operator\n');
    expect(readFileSync(join(workspace, 'report.csv'), 'utf8')).toBe('kept');
  });

  it('exports a result into the workspace only, and replaces a file only when told to', async () => {
    const results = join(dataDir, 'results');
    const registry = new ResultRegistry({ dir: results, files: await WorkspaceFiles.open(workspace, dataDir) });
    const set = registry.create([{ name: 'n', type: 'int4', kind: 'int' }]);
    set.append([['1'], ['2']]);
    await set.finish();
    const exportTo = (path: string, overwrite = false) =>
      drain(registry.handlers()['results.export']!({ resultId: set.id, format: 'csv', path, overwrite }, { signal }));
    expect(await failure(() => exportTo(join(home, '.ssh', 'authorized_keys'), true))).toMatchObject({ code: 'VALIDATION' });
    expect(await failure(() => exportTo('report.csv'))).toMatchObject({ code: 'CONFLICT' });
    await exportTo('report.csv', true);
    expect(readFileSync(join(workspace, 'report.csv'), 'utf8')).toBe('n\n1\n2\n');
    expect(readFileSync(join(home, '.ssh', 'authorized_keys'), 'utf8')).toBe('ssh-ed25519 AAAA operator\n');
    await registry.dispose();
  });
});

/**
 * The desktop app's rule: the renderer never names a path. The dialog is Electron's and cannot open here, so a
 * stand-in answers for the operator (the path they would pick); everything around it is the real core.
 */
describe('on the desktop app, only files picked in its own dialog, each for its one use', () => {
  let desk: Core;
  let deskData: string;
  let pick: string | undefined;
  const asked: (ChooseFile & { defaultPath: string })[] = [];

  beforeAll(async () => {
    deskData = tempDir('tributary-desk-data-');
    desk = await createCore({
      host: 'electron',
      version: '0.0.0-test',
      dataDir: deskData,
      workspaceDir: workspace,
      sandboxDaemon: checkoutDaemonCommand(),
      openSecretStore: () => Promise.resolve(new MemorySecretStore()),
      fileDialog: (request) => {
        asked.push(request);
        return Promise.resolve(pick);
      },
    });
  });

  afterAll(() => desk?.dispose());

  const choose = (purpose: ChooseFile['purpose'], path: string | undefined, suggestedName?: string) => {
    pick = path;
    return desk.handlers['files.choose']({ purpose, title: 'Pick', ...(suggestedName ? { suggestedName } : {}) }, { signal });
  };

  it('says it names files with dialogs, and refuses every path the renderer sends, even one in the workspace', async () => {
    expect(desk.info.files).toEqual({ kind: 'dialog' });
    writeFileSync(join(workspace, 'plain.log'), 'line\n');
    for (const path of [join(home, '.aws', 'credentials'), join(workspace, 'plain.log'), 'plain.log']) {
      const refused = await failure(() => drain(desk.handlers['pipeline.upload']({ bucket: 'any-bucket', key: 'k', path }, { signal })));
      expect(refused).toMatchObject({ code: 'VALIDATION', message: expect.stringMatching(/Choose the file with Tributary’s dialog/) });
      const key = await failure(() => desk.handlers['sessions.openMaster']({ clusterId: 'j-ANY', keyFile: path }, { signal }));
      expect(key).toMatchObject({ code: 'VALIDATION', message: expect.stringMatching(/Choose the file with Tributary’s dialog/) });
    }
  });

  it('hands back a handle, not the path; a file chosen to read cannot be written, one chosen to save cannot be read', async () => {
    writeFileSync(join(home, 'notes.csv'), 'mine');
    const read = await choose('open-file', join(home, 'notes.csv'));
    expect(read).toEqual({ ref: expect.stringMatching(/^chosen:[0-9a-f]{32}$/), name: 'notes.csv' });
    // The same rules one level down, where a handle can be resolved to see what it stands for.
    const files = await ChosenFiles.open(() => Promise.resolve(pick), deskData, workspace);
    const registry = new ResultRegistry({ dir: join(deskData, 'results'), files });
    const readRef = (await files.choose({ purpose: 'open-file', title: 'Pick' }))!.ref;
    expect(await files.forRead(readRef)).toBe(join(home, 'notes.csv'));
    const set = registry.create([{ name: 'n', type: 'int4', kind: 'int' }]);
    set.append([['1']]);
    await set.finish();
    const exportTo = (path: string) =>
      drain(registry.handlers()['results.export']!({ resultId: set.id, format: 'csv', path, overwrite: false }, { signal }));
    expect(await failure(() => exportTo(readRef))).toMatchObject({ code: 'VALIDATION', message: /chosen to read, not to save/ });
    expect(readFileSync(join(home, 'notes.csv'), 'utf8')).toBe('mine');
    // The save dialog asked before replacing: the export writes over the file it names without a second question.
    const saveRef = (await files.choose({ purpose: 'save', title: 'Export', suggestedName: 'notes.csv' }))!.ref;
    await exportTo(saveRef);
    expect(readFileSync(join(home, 'notes.csv'), 'utf8')).toBe('n\n1\n');
    await expect(files.forRead(saveRef)).rejects.toMatchObject({ code: 'VALIDATION', message: /chosen to save to, not to read/ });
    await registry.dispose();
  });

  it('refuses a forged handle, a pick in the data directory, and a cancelled dialog gives nothing', async () => {
    const forged = await failure(() =>
      drain(
        desk.handlers['pipeline.upload']({ bucket: 'any-bucket', key: 'k', path: 'chosen:0123456789abcdef0123456789abcdef' }, { signal }),
      ),
    );
    expect(forged).toMatchObject({ code: 'VALIDATION', message: /choose the file again/ });
    expect(await failure(() => choose('open-file', join(deskData, 'logs')))).toMatchObject({
      code: 'VALIDATION',
      message: /data directory/,
    });
    expect(await choose('open-file', undefined)).toBeNull();
  });

  it('opens the dialog where the last pick was, suggesting a file name only', async () => {
    mkdirSync(join(home, 'exports'), { recursive: true });
    await choose('save', join(home, 'exports', 'a.csv'));
    await choose('save', join(home, 'exports', 'b.csv'), 'b.csv');
    expect(asked.at(-1)).toMatchObject({ purpose: 'save', defaultPath: join(home, 'exports', 'b.csv') });
    // The renderer suggests a name, never a folder: the contract refuses one before main sees it.
    expect(chooseFileSchema.safeParse({ purpose: 'save', title: 'x', suggestedName: '../../.bashrc' }).success).toBe(false);
  });
});
