import { join } from 'node:path';
import { settingsSchema, type Settings } from '../../../shared/contract/index.js';
import type { HandlerGroup } from '../dispatch/handlers.js';
import { JsonDocument } from './json-file.js';
import type { NoticeBoard } from './notices.js';

export class SettingsService {
  private readonly file: JsonDocument<Settings>;

  constructor(dataDir: string, notices: NoticeBoard) {
    this.file = new JsonDocument(
      join(dataDir, 'settings.json'),
      settingsSchema,
      () => settingsSchema.parse({}),
      (p) => notices.fileProblem(p),
    );
  }

  get(): Promise<Settings> {
    return this.file.current();
  }

  async update(patch: Partial<Settings>): Promise<Settings> {
    return this.file.update((current) => settingsSchema.parse({ ...current, ...patch }));
  }

  handlers(): HandlerGroup {
    return {
      'settings.get': () => this.get(),
      'settings.update': ({ patch }) => this.update(patch),
    };
  }
}
