import { join } from 'node:path';
import { settingsSchema, type Settings } from '../../../shared/contract/index.js';
import type { HandlerGroup } from '../dispatch/handlers.js';
import { JsonFile } from './json-file.js';
import type { NoticeBoard } from './notices.js';

export class SettingsService {
  private readonly file: JsonFile<Settings>;
  private current: Promise<Settings>;

  constructor(dataDir: string, notices: NoticeBoard) {
    this.file = new JsonFile(
      join(dataDir, 'settings.json'),
      settingsSchema,
      () => settingsSchema.parse({}),
      (p) => notices.fileProblem(p),
    );
    this.current = this.file.load();
  }

  get(): Promise<Settings> {
    return this.current;
  }

  async update(patch: Partial<Settings>): Promise<Settings> {
    const next = settingsSchema.parse({ ...(await this.current), ...patch });
    await this.file.save(next);
    this.current = Promise.resolve(next);
    return next;
  }

  handlers(): HandlerGroup {
    return {
      'settings.get': () => this.get(),
      'settings.update': ({ patch }) => this.update(patch),
    };
  }
}
