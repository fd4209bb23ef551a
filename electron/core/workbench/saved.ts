import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { z } from 'zod';
import { chartSpecSchema, connectionIdSchema, type EditorTab, type SavedQuery } from '../../../shared/contract/index.js';
import { AppError } from '../../../shared/errors.js';
import type { NoticeBoard } from '../storage/notices.js';
import { JsonDocument, JsonFile } from '../storage/json-file.js';

const savedSchema = z.object({
  queries: z
    .array(
      z.object({
        id: z.string(),
        name: z.string(),
        sql: z.string(),
        connectionId: connectionIdSchema.optional(),
        chart: chartSpecSchema.optional(),
        updatedAt: z.string(),
      }),
    )
    .default([]),
});
const tabsSchema = z.object({
  tabs: z
    .array(
      z.object({
        id: z.string(),
        title: z.string(),
        sql: z.string(),
        connectionId: connectionIdSchema.optional(),
        chart: chartSpecSchema.optional(),
      }),
    )
    .default([]),
  activeId: z.string().optional(),
});

/**
 * What the operator keeps: saved queries (with their charts) and the editor tabs as they were left. Both are
 * written redacted, as history is: a password typed in a statement stays in the open editor for this run of
 * the app, and is never written to disk (a reopened tab shows '[redacted]' in its place).
 */
export class SavedWork {
  private readonly queriesFile: JsonDocument<z.infer<typeof savedSchema>>;
  private readonly tabsFile: JsonFile<z.infer<typeof tabsSchema>>;

  constructor(
    dataDir: string,
    notices: NoticeBoard,
    private readonly redact: (text: string) => string,
  ) {
    const onProblem = (p: Parameters<NoticeBoard['fileProblem']>[0]) => notices.fileProblem(p);
    this.queriesFile = new JsonDocument(join(dataDir, 'saved-queries.json'), savedSchema, () => ({ queries: [] }), onProblem);
    this.tabsFile = new JsonFile(join(dataDir, 'editor-tabs.json'), tabsSchema, () => ({ tabs: [] }), onProblem);
  }

  async list(): Promise<SavedQuery[]> {
    return (await this.queriesFile.current()).queries;
  }

  async save(input: Omit<SavedQuery, 'id' | 'updatedAt'> & { id?: string }): Promise<SavedQuery[]> {
    const { queries } = await this.queriesFile.update(({ queries: all }) => {
      if (input.id && !all.some((q) => q.id === input.id)) throw new AppError('NOT_FOUND', `No saved query ${input.id}`);
      const query: SavedQuery = {
        ...input,
        sql: this.redact(input.sql),
        id: input.id ?? randomBytes(5).toString('hex'),
        updatedAt: new Date().toISOString(),
      };
      return { queries: input.id ? all.map((q) => (q.id === input.id ? query : q)) : [query, ...all] };
    });
    return queries;
  }

  async forget(id: string): Promise<SavedQuery[]> {
    return (await this.queriesFile.update(({ queries }) => ({ queries: queries.filter((q) => q.id !== id) }))).queries;
  }

  async tabs(): Promise<{ tabs: EditorTab[]; activeId?: string }> {
    return this.tabsFile.load();
  }

  async saveTabs(value: { tabs: EditorTab[]; activeId?: string }): Promise<void> {
    await this.tabsFile.save({ ...value, tabs: value.tabs.map((tab) => ({ ...tab, sql: this.redact(tab.sql) })) });
  }
}
