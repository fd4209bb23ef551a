import { z } from 'zod';

/** What a chosen file's handle starts with; anything else is a path typed in the workspace. */
export const CHOSEN_FILE_PREFIX = 'chosen:';

/**
 * A file the operator named. On the desktop app it is the opaque handle `files.choose` gave for a file picked
 * in the main process's own dialog: the renderer never sends a path there. On the web host it is a path in the
 * workspace folder, relative to it or absolute inside it. Main checks either (electron/core/storage/).
 */
export const fileRefSchema = z
  .string()
  .min(1, 'Name a file')
  .max(4096)
  .refine((p) => ![...p].some((c) => c.charCodeAt(0) < 0x20), 'A file name cannot hold control characters');

/** Set once the operator has agreed to replace a file that is there. */
export const overwriteSchema = z.boolean().default(false);

/** How this host lets the operator name files: its own dialogs (desktop), or paths in a workspace folder (web host). */
export type FileNaming = { kind: 'dialog' } | { kind: 'workspace'; root: string };

export const chooseFileSchema = z
  .object({
    /** `open-folder` picks a folder to read (a folder of logs to replay). */
    purpose: z.enum(['open-file', 'open-folder', 'save']),
    /** The dialog's title, e.g. "Upload to s3://bucket/prefix/". */
    title: z.string().trim().min(1).max(120),
    /** A file name suggested for saving; a name only, never a folder. */
    suggestedName: z
      .string()
      .max(255)
      .refine((n) => !/[/\\]/.test(n) && n !== '.' && n !== '..', 'A file name only')
      .refine((n) => ![...n].some((c) => c.charCodeAt(0) < 0x20), 'A file name cannot hold control characters')
      .optional(),
  })
  .strict();

export type ChooseFile = z.infer<typeof chooseFileSchema>;

/** A chosen file: the handle to pass where a file is asked for, and its name to show. */
export interface ChosenFile {
  ref: string;
  name: string;
}
