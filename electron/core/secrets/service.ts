import type { SecretEntry } from '../../../shared/contract/index.js';
import type { HandlerGroup } from '../dispatch/handlers.js';
import type { Logger } from '../../../shared/node/log.js';
import type { SecretStore } from './secret-store.js';

/**
 * The renderer may store and forget secrets and learn their names; nothing it
 * can call returns a value; only code in this process reads them, from the store.
 */
export class SecretsService {
  constructor(
    private readonly store: SecretStore,
    private readonly log: Logger,
  ) {}

  private async list(): Promise<SecretEntry[]> {
    return (await this.store.names()).map((name) => ({ name }));
  }

  handlers(): HandlerGroup {
    return {
      'secrets.list': () => this.list(),
      'secrets.set': async ({ name, value }) => {
        this.log.addSecret(value);
        await this.store.set(name, value);
        this.log.info('secrets', `Stored secret ${name} (${this.store.backend})`);
        return this.list();
      },
      'secrets.delete': async ({ name }) => {
        await this.store.delete(name);
        this.log.info('secrets', `Forgot secret ${name}`);
        return this.list();
      },
    };
  }
}
