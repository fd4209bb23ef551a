import { call } from '../define.js';
import { chooseFileSchema, type ChosenFile } from '../paths.js';

export const files = {
  choose: call<ChosenFile | null>()({
    summary: 'Pick a file or folder in the desktop app’s own dialog; null when the operator cancelled.',
    input: chooseFileSchema,
  }),
};
