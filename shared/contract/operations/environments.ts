import { z } from 'zod';
import { call } from '../define.js';

export const SANDBOX_ENVIRONMENT_ID = 'sandbox';

export const environmentIdSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[a-z0-9][a-z0-9-]*$/, 'Use lowercase letters, digits and dashes');

export const environmentSchema = z
  .object({
    id: environmentIdSchema,
    name: z.string().min(1).max(100),
    kind: z.enum(['sandbox', 'aws']),
    region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'Not an AWS region name, e.g. eu-west-1'),
  })
  .strict();

export type Environment = z.infer<typeof environmentSchema>;

export interface EnvironmentList {
  activeId: string;
  environments: Environment[];
}

export const environments = {
  list: call<EnvironmentList>()({ summary: 'List environments and which one is active.', input: z.object({}).strict() }),
  select: call<EnvironmentList>()({
    summary: 'Make an environment the active one.',
    input: z.object({ id: environmentIdSchema }).strict(),
  }),
};
