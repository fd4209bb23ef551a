import { z } from 'zod';
import { stream } from '../define.js';

export interface LogLine {
  seq: number;
  at: string;
  level: 'debug' | 'info' | 'warn' | 'error';
  scope: string;
  message: string;
}

export const logs = {
  follow: stream<LogLine>()({
    summary: 'Follow the app log, starting with the most recent lines.',
    input: z.object({ backlog: z.number().int().min(0).max(5000).default(200) }).strict(),
  }),
};
