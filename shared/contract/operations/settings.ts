import { z } from 'zod';
import { call } from '../define.js';

export const themeSchema = z.enum(['system', 'light', 'dark']);

export const settingsSchema = z
  .object({
    theme: themeSchema.default('system'),
    editorFontSize: z.number().int().min(8).max(32).default(13),
    /** Minutes a tunnel may sit unused before it closes; 0 keeps tunnels until their session closes. */
    tunnelIdleMinutes: z
      .number()
      .min(0)
      .max(24 * 60)
      .default(15),
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
