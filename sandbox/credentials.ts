import { randomBytes } from 'node:crypto';
import type { SandboxAccess } from './client/constants.js';

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/**
 * A fresh access key pair for one run of the sandbox, shaped like AWS's (AKIA + 16, secret of 40). New at every
 * start rather than kept with the data: every client reads it from the run file (the app each time it builds the
 * sandbox's clients, the master's Spark configuration each time it is written), so nothing needs it stable,
 * and a key that leaked (a shell history, a pasted config) stops working when the sandbox stops.
 */
export function newAccessKeys(): SandboxAccess['credentials'] {
  const id = [...randomBytes(16)].map((byte) => BASE32[byte % 32]).join('');
  return { accessKeyId: `AKIA${id}`, secretAccessKey: randomBytes(30).toString('base64') };
}

/** A fresh password for one run (the Spark Thrift Server's), for the same reasons. */
export function newPassword(): string {
  return randomBytes(24).toString('base64url');
}
