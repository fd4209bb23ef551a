import { randomUUID } from 'node:crypto';
import type { Notice } from '../../../shared/contract/index.js';
import type { HandlerGroup } from '../dispatch/handlers.js';
import type { EventHub } from '../events.js';
import type { LoadProblem } from './json-file.js';

export class NoticeBoard {
  private notices: Notice[] = [];

  constructor(private readonly events: EventHub) {}

  add(level: Notice['level'], title: string, detail: string): void {
    this.notices.push({ id: randomUUID(), level, title, detail, at: new Date().toISOString() });
    this.events.emit({ type: 'notices', count: this.notices.length });
  }

  /** The message an operator sees when a data file had to be set aside. */
  fileProblem(problem: LoadProblem): void {
    this.add(
      'warning',
      `Could not read ${problem.file}`,
      `The file ${problem.reason}. It was kept unchanged as ${problem.backup}; defaults are in use until you save new values.`,
    );
  }

  list(): Notice[] {
    return [...this.notices];
  }

  dismiss(id: string): Notice[] {
    this.notices = this.notices.filter((notice) => notice.id !== id);
    this.events.emit({ type: 'notices', count: this.notices.length });
    return this.list();
  }

  handlers(): HandlerGroup {
    return {
      'app.notices': () => this.list(),
      'app.dismissNotice': ({ id }) => this.dismiss(id),
    };
  }
}
