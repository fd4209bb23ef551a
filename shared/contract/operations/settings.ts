import { z } from 'zod';
import { call } from '../define.js';

export const themeSchema = z.enum(['system', 'light', 'dark']);

export const settingsSchema = z
  .object({
    theme: themeSchema.default('system'),
    editorFontSize: z.number().int().min(8).max(32).default(13),
  })
  .strict();

export type Settings = z.infer<typeof settingsSchema>;

export const settings = {
  get: call<Settings>()({ summary: 'Read the settings.', input: z.object({}).strict() }),
  update: call<Settings>()({
    summary: 'Change some settings; the rest stay as they are.',
    input: z.object({ patch: settingsSchema.partial().strict() }).strict(),
  }),
};
