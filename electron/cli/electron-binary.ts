import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** The Electron executable, or why it cannot be used here (one line). */
export function electronBinary(): { path: string } | { missing: string } {
  let path: string;
  try {
    // The package exports the binary's path, and throws when the binary was never downloaded.
    path = require('electron') as string;
  } catch {
    return { missing: 'the Electron binary is not installed (it could not be downloaded)' };
  }
  if (!existsSync(path)) return { missing: `the Electron binary is missing at ${path}` };
  if (process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) {
    return { missing: 'there is no display (DISPLAY and WAYLAND_DISPLAY are unset)' };
  }
  return { path };
}
