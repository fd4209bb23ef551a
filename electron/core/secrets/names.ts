import { USER_SECRET_PREFIX } from '../../../shared/contract/index.js';
import type { Logger } from '../../../shared/node/log.js';
import type { SecretStore } from './secret-store.js';

/** The main process's own names: written by its services only, never through secrets.set or secrets.delete. */
export const environmentKeysName = (environmentId: string) => `aws/${environmentId}/keys`;
export const connectionPasswordName = (connectionId: string) => `connection-password:${connectionId}`;
const INTERNAL = /^(aws\/[^/]+\/keys|connection-password:.+)$/;

/**
 * Before secrets had owners the renderer could store any name. Such a secret becomes `user/<name>`, so the operator
 * still sees it and can forget it; internal names stay as they are, so every stored key and password reads as before.
 */
export async function moveRendererSecrets(store: SecretStore, log: Logger): Promise<void> {
  for (const name of await store.names()) {
    if (name.startsWith(USER_SECRET_PREFIX) || INTERNAL.test(name)) continue;
    const value = await store.get(name);
    if (value !== undefined) await store.set(`${USER_SECRET_PREFIX}${name}`, value);
    await store.delete(name);
    log.info('secrets', `Secret ${name} is now ${USER_SECRET_PREFIX}${name}`);
  }
}
