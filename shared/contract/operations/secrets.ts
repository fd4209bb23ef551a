import { z } from 'zod';
import { call } from '../define.js';

/**
 * The renderer's own secrets are named `user/<name>`. Every other name belongs to the main process (an environment's
 * AWS keys, a connection's password, a generated master password): the renderer may see those names, never set or
 * delete them, so a compromised page cannot replace an environment's keys with its own or erase a password.
 */
export const USER_SECRET_PREFIX = 'user/';

export const userSecretNameSchema = z
  .string()
  .max(USER_SECRET_PREFIX.length + 128)
  .startsWith(USER_SECRET_PREFIX, `Only your own secrets can be stored or forgotten here: names start with ${USER_SECRET_PREFIX}`)
  .regex(/^user\/[A-Za-z0-9][A-Za-z0-9._:/-]*$/, `Use ${USER_SECRET_PREFIX} then letters, digits and . _ : / -`);

/** What the renderer may know about a secret: that it exists. Never its value. */
export interface SecretEntry {
  name: string;
}

export const secrets = {
  list: call<SecretEntry[]>()({ summary: 'List the names of stored secrets.', input: z.object({}).strict() }),
  set: call<SecretEntry[]>()({
    summary: 'Store one of your own secrets (user/…); it is never shown again.',
    input: z
      .object({
        name: userSecretNameSchema,
        value: z
          .string()
          .min(1)
          .max(16 * 1024),
      })
      .strict(),
  }),
  delete: call<SecretEntry[]>()({
    summary: 'Forget one of your own secrets (user/…).',
    input: z.object({ name: userSecretNameSchema }).strict(),
  }),
};
