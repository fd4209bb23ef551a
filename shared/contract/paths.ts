import { z } from 'zod';

/**
 * A file the operator names in the workspace folder: relative to it, or absolute inside it. Main confines it
 * there (symlinks resolved, hidden folders and the data directory refused; electron/core/storage/file-access.ts).
 */
export const workspacePathSchema = z
  .string()
  .min(1, 'Name a file')
  .max(4096)
  .refine((p) => ![...p].some((c) => c.charCodeAt(0) < 0x20), 'A file name cannot hold control characters');

/** Set once the operator has agreed to replace a file that is there. */
export const overwriteSchema = z.boolean().default(false);
