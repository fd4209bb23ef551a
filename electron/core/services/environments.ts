import { join } from 'node:path';
import { z } from 'zod';
import {
  SANDBOX_ENVIRONMENT_ID,
  environmentIdSchema,
  environmentSchema,
  type Environment,
  type EnvironmentList,
} from '../../../shared/contract/index.js';
import { AppError } from '../../../shared/errors.js';
import type { HandlerGroup } from '../dispatch/handlers.js';
import type { EventHub } from '../events.js';
import { JsonFile } from '../storage/json-file.js';
import type { NoticeBoard } from './notices.js';

const sandbox: Environment = { id: SANDBOX_ENVIRONMENT_ID, name: 'Local sandbox', kind: 'sandbox', region: 'us-east-1' };

const fileSchema = z
  .object({
    activeId: environmentIdSchema.default(SANDBOX_ENVIRONMENT_ID),
    /** Environments the operator added; the sandbox is built in and never stored. */
    added: z.array(environmentSchema).max(200).default([]),
  })
  .strict();

type EnvironmentsFile = z.infer<typeof fileSchema>;

export class EnvironmentsService {
  private readonly file: JsonFile<EnvironmentsFile>;
  private state: Promise<EnvironmentsFile>;

  constructor(dataDir: string, notices: NoticeBoard, private readonly events: EventHub) {
    this.file = new JsonFile(join(dataDir, 'environments.json'), fileSchema, () => fileSchema.parse({}), (p) => notices.fileProblem(p));
    this.state = this.file.load();
  }

  async list(): Promise<EnvironmentList> {
    const state = await this.state;
    const environments = [sandbox, ...state.added];
    // A profile removed by hand leaves a dangling active id; fall back to the sandbox, visibly.
    const activeId = environments.some((env) => env.id === state.activeId) ? state.activeId : SANDBOX_ENVIRONMENT_ID;
    return { activeId, environments };
  }

  async active(): Promise<Environment> {
    const { activeId, environments } = await this.list();
    return environments.find((env) => env.id === activeId) ?? sandbox;
  }

  async select(id: string): Promise<EnvironmentList> {
    const { environments } = await this.list();
    const target = environments.find((env) => env.id === id);
    if (!target) throw new AppError('NOT_FOUND', `No environment named ${id}`);
    const next = { ...(await this.state), activeId: id };
    await this.file.save(next);
    this.state = Promise.resolve(next);
    this.events.emit({ type: 'environment', activeId: target.id, activeName: target.name });
    return this.list();
  }

  handlers(): HandlerGroup {
    return {
      'environments.list': () => this.list(),
      'environments.select': ({ id }) => this.select(id),
    };
  }
}
