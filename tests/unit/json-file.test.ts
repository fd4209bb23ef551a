import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { JsonDocument, JsonFile, type LoadProblem } from '../../electron/core/storage/json-file.js';
import { testCore, tempDir } from '../helpers/core.js';

const schema = z.object({ count: z.number().int() }).strict();

function file(dir = tempDir()) {
  const problems: LoadProblem[] = [];
  const store = new JsonFile(
    join(dir, 'state.json'),
    schema,
    () => ({ count: 0 }),
    (p) => problems.push(p),
  );
  return { dir, store, problems };
}

describe('JsonFile: atomic, validated, never silently reset', () => {
  it('saves atomically with owner-only permissions and reads back', async () => {
    const { dir, store } = file();
    await store.save({ count: 3 });
    expect(JSON.parse(readFileSync(store.path, 'utf8'))).toEqual({ count: 3 });
    expect(statSync(store.path).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir)).toEqual(['state.json']);
    expect(await store.load()).toEqual({ count: 3 });
  });

  it('keeps the last of concurrent saves, always as whole JSON', async () => {
    const { store } = file();
    await Promise.all(Array.from({ length: 50 }, (_, i) => store.save({ count: i })));
    expect(JSON.parse(readFileSync(store.path, 'utf8'))).toEqual({ count: 49 });
  });

  it.each([
    ['broken JSON', '{"count": 3', /not valid JSON/],
    ['a hand edit of the wrong type', '{"count": "three"}', /count: .*expected number/i],
    ['an unknown key', '{"count": 1, "colour": "red"}', /Unrecognized key/i],
  ])('sets aside %s with a reason and the original bytes', async (_label, text, reason) => {
    const { dir, store, problems } = file();
    writeFileSync(store.path, text);
    expect(await store.load()).toEqual({ count: 0 });
    expect(problems).toHaveLength(1);
    expect(problems[0]!.reason).toMatch(reason);
    expect(readFileSync(problems[0]!.backup, 'utf8')).toBe(text);
    expect(problems[0]!.backup.startsWith(join(dir, 'state.json.corrupt-'))).toBe(true);
  });
});

describe('JsonDocument: loaded once, current only once saved', () => {
  it('reads the file once and serves what was last committed', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'state.json'), '{"count": 2}');
    const doc = new JsonDocument(
      join(dir, 'state.json'),
      schema,
      () => ({ count: 0 }),
      () => undefined,
    );
    expect(await doc.current()).toEqual({ count: 2 });
    // A change behind its back is not seen: the document is the process's copy.
    writeFileSync(join(dir, 'state.json'), '{"count": 9}');
    expect(await doc.current()).toEqual({ count: 2 });
    await doc.update(() => ({ count: 3 }));
    expect(await doc.current()).toEqual({ count: 3 });
    expect(JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8'))).toEqual({ count: 3 });
  });

  it('keeps the old value current when the save fails', async () => {
    const dir = tempDir();
    const doc = new JsonDocument(
      join(dir, 'sub', 'state.json'),
      schema,
      () => ({ count: 1 }),
      () => undefined,
    );
    expect(await doc.current()).toEqual({ count: 1 });
    // A file where its folder should be: no save can succeed, not even as root.
    writeFileSync(join(dir, 'sub'), '');
    await expect(doc.update(() => ({ count: 5 }))).rejects.toMatchObject({ code: 'STORAGE' });
    expect(await doc.current()).toEqual({ count: 1 });
  });
});

describe('settings and environments through the core', () => {
  it('survive a restart', async () => {
    const dir = tempDir();
    const first = await testCore(dir);
    await first.handlers['settings.update']({ patch: { theme: 'dark', editorFontSize: 16 } }, { signal: new AbortController().signal });
    const second = await testCore(dir);
    expect(await second.handlers['settings.get']({}, { signal: new AbortController().signal })).toEqual({
      theme: 'dark',
      editorFontSize: 16,
      tunnelIdleMinutes: 15,
    });
  });

  it('report a corrupt settings file as a notice and keep working', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'settings.json'), '{ "theme": "dark", oops }');
    const core = await testCore(dir);
    const signal = new AbortController().signal;
    expect(await core.handlers['settings.get']({}, { signal })).toMatchObject({ theme: 'system' });
    const notices = await core.handlers['app.notices']({}, { signal });
    expect(notices.map((n) => n.title)).toContain(`Could not read ${join(dir, 'settings.json')}`);
    expect(readdirSync(dir).some((name) => name.startsWith('settings.json.corrupt-'))).toBe(true);
  });
});
