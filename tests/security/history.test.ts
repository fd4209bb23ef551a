import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EventHub } from '../../electron/core/events.js';
import { NoticeBoard } from '../../electron/core/storage/notices.js';
import { QueryHistory } from '../../electron/core/workbench/history.js';
import { SavedWork } from '../../electron/core/workbench/saved.js';
import { contract } from '../../shared/contract/index.js';
import { Logger } from '../../shared/node/log.js';
import { testCore, tempDir } from '../helpers/core.js';

/**
 * Items 5 and 8 of issue 13, for query history: only redacted text is kept, it can be cleared, it is bounded by bytes,
 * and a failed write does not stop later ones. Each test fails with the history as it was (verbatim statements, no
 * clear operation, no byte bound, a rejected write chain that never wrote again).
 */
const run = (sql: string, error?: string) => ({
  connectionId: 'c1',
  connectionName: 'warehouse',
  sql,
  startedAt: new Date().toISOString(),
  durationMs: 1,
  ...(error ? { error } : {}),
});

/** A small bound, so a test fills it in a few runs; the app's is MAX_HISTORY_BYTES. */
const BOUND = 64 * 1024;

function history(dir = tempDir()) {
  const log = new Logger(undefined);
  const notices = new NoticeBoard(new EventHub());
  return { dir, notices, history: new QueryHistory(dir, notices, (text) => log.redact(text), BOUND) };
}

describe('query history', () => {
  it('keeps statements and errors only redacted, and a search finds them by their redacted text', async () => {
    const { dir, history: h } = history();
    await h.add(run("ALTER USER bob PASSWORD 'zqhistorysecret1'", 'syntax error at or near "\'zqhistorysecret1\'"'));
    const file = readFileSync(join(dir, 'query-history.json'), 'utf8');
    expect(file).not.toContain('zqhistorysecret1');
    expect(await h.list({ search: 'zqhistorysecret1', limit: 10 })).toEqual([]);
    expect((await h.list({ search: "PASSWORD '[redacted]'", limit: 10 })).length).toBe(1);
  });

  it('masks a file written before redaction existed as soon as it is opened', async () => {
    const dir = tempDir();
    const old = { id: 'a1', ...run("CREATE USER x PASSWORD 'zqoldsecret22'") };
    writeFileSync(join(dir, 'query-history.json'), JSON.stringify({ entries: [old] }));
    const { history: h } = history(dir);
    expect((await h.list({ limit: 10 }))[0]!.sql).toBe("CREATE USER x PASSWORD '[redacted]'");
    await h.add(run('SELECT 1'));
    expect(readFileSync(join(dir, 'query-history.json'), 'utf8')).not.toContain('zqoldsecret22');
  });

  it('is cleared, file included, through the contract’s validated operation', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'query-history.json'), JSON.stringify({ entries: [{ id: 'a1', ...run('SELECT 42') }] }));
    const core = await testCore(dir);
    const signal = new AbortController().signal;
    try {
      expect(await core.handlers['queries.history']({ limit: 10 }, { signal })).toHaveLength(1);
      expect(contract['queries.clearHistory'].input.safeParse({}).success).toBe(false);
      await core.handlers['queries.clearHistory']({ confirm: 'clear' }, { signal });
      expect(await core.handlers['queries.history']({ limit: 10 }, { signal })).toEqual([]);
      expect(JSON.parse(readFileSync(join(dir, 'query-history.json'), 'utf8'))).toEqual({ entries: [] });
    } finally {
      await core.dispose();
    }
  });

  it('stays within its byte bound, dropping the oldest runs and saying so once', async () => {
    const { dir, notices, history: h } = history();
    const big = `SELECT '${'x'.repeat(19_000)}'`;
    for (let i = 0; i < (BOUND / 19_000) * 3; i++) await h.add(run(`-- run ${i}\n${big}`));
    expect(statSync(join(dir, 'query-history.json')).size).toBeLessThanOrEqual(BOUND);
    const kept = await h.list({ limit: 1000 });
    expect(kept[0]!.sql).toMatch(/^-- run (\d+)/);
    expect(kept.at(-1)!.sql).not.toMatch(/^-- run 0\n/);
    expect(notices.list().filter((n) => n.title === 'Query history is full')).toHaveLength(1);
  });

  it('writes again after a failed write, with nothing lost', async () => {
    const { dir, history: h } = history();
    await h.add(run('SELECT 1'));
    // A directory where the file goes makes the rename fail, as a full disk fails a write.
    rmSync(join(dir, 'query-history.json'));
    mkdirSync(join(dir, 'query-history.json', 'blocker'), { recursive: true });
    await expect(h.add(run('SELECT 2'))).rejects.toThrow(/Cannot save/);
    rmSync(join(dir, 'query-history.json'), { recursive: true });
    await h.add(run('SELECT 3'));
    const saved = JSON.parse(readFileSync(join(dir, 'query-history.json'), 'utf8')) as { entries: { sql: string }[] };
    expect(saved.entries.map((e) => e.sql)).toEqual(['SELECT 3', 'SELECT 2', 'SELECT 1']);
  });
});

// Without the redaction, editor-tabs.json and saved-queries.json kept the statement as typed.
describe('editor tabs and saved queries', () => {
  it('are written without the secrets typed in them', async () => {
    const dir = tempDir();
    const log = new Logger(undefined);
    const saved = new SavedWork(dir, new NoticeBoard(new EventHub()), (text) => log.redact(text));
    const sql =
      "CREATE USER carol PASSWORD 'zqtabsecret1';\nCOPY t FROM 's3://b/k' CREDENTIALS 'aws_access_key_id=AKIAEXAMPLE;aws_secret_access_key=zqtabsecret2'";
    await saved.saveTabs({ tabs: [{ id: 't1', title: 'Users', sql }], activeId: 't1' });
    const [query] = await saved.save({ name: 'Make carol', sql });
    for (const file of ['editor-tabs.json', 'saved-queries.json']) {
      const text = readFileSync(join(dir, file), 'utf8');
      expect(text).not.toMatch(/zqtabsecret/);
      expect(text).toContain('CREATE USER carol PASSWORD');
    }
    expect(query!.sql).not.toContain('zqtabsecret');
    expect((await saved.tabs()).tabs[0]!.sql).toContain("PASSWORD '[redacted]'");
  });
});
