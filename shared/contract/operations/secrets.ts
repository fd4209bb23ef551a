import { z } from 'zod';
import { call } from '../define.js';

export const secretNameSchema = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:/-]*$/, 'Use letters, digits and . _ : / -');

/** What the renderer may know about a secret: that it exists. Never its value. */
export interface SecretEntry {
  name: string;
}

export const secrets = {
  list: call<SecretEntry[]>()({ summary: 'List the names of stored secrets.', input: z.object({}).strict() }),
  set: call<SecretEntry[]>()({
    summary: 'Store a secret; it is never shown again.',
    input: z
      .object({
        name: secretNameSchema,
        value: z
          .string()
          .min(1)
          .max(16 * 1024),
      })
      .strict(),
  }),
  delete: call<SecretEntry[]>()({
    summary: 'Forget a secret.',
    input: z.object({ name: secretNameSchema }).strict(),
  }),
};
