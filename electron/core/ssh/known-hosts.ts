import { createHash, createHmac, randomBytes } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { exclusive, writeDurably } from '../storage/durable.js';
import { globRegExp } from './glob.js';

/**
 * What an OpenSSH known_hosts file says about a host key. Nothing here accepts a
 * key by itself: `unknown` goes to the operator, `changed` and `revoked` are refusals.
 */
export type HostKeyVerdict =
  | { status: 'known' }
  | { status: 'unknown'; fingerprint: string }
  | { status: 'changed'; fingerprint: string; line: number }
  | { status: 'revoked'; fingerprint: string; line: number };

interface Entry {
  line: number;
  marker: '@revoked' | '@cert-authority' | undefined;
  patterns: string[];
  keyType: string;
  key: Buffer;
}

/** SHA256 fingerprint of a public key blob, as `ssh-keygen -l` prints it (base64 without padding). */
export function fingerprint(key: Buffer): string {
  return `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;
}

/** The algorithm name at the start of an SSH public key blob (`ssh-ed25519`, `ssh-rsa`, ...). */
export function keyTypeOf(key: Buffer): string {
  const length = key.length >= 4 ? key.readUInt32BE(0) : 0;
  if (length === 0 || length + 4 > key.length) throw new Error('Not an SSH public key blob');
  return key.subarray(4, 4 + length).toString('ascii');
}

/** How known_hosts names a host: bare for port 22, `[host]:port` otherwise. */
export function hostEntryName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

export async function checkHostKey(file: string, host: string, port: number, key: Buffer): Promise<HostKeyVerdict> {
  return verdictFor(parseKnownHosts(await readIfExists(file)), hostEntryName(host, port), key);
}

/** A missing file is an empty one; any other read failure must not be mistaken for "no entries". */
async function readIfExists(file: string): Promise<string> {
  return readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return '';
    throw error;
  });
}

function verdictFor(entries: Entry[], name: string, key: Buffer): HostKeyVerdict {
  const print = fingerprint(key);
  // A revoked key is refused for every host, whatever its pattern says.
  const revoked = entries.find((entry) => entry.marker === '@revoked' && entry.key.equals(key));
  if (revoked) return { status: 'revoked', fingerprint: print, line: revoked.line };
  const type = keyTypeOf(key);
  const forHost = entries.filter((entry) => entry.marker === undefined && hostMatches(entry.patterns, name));
  if (forHost.some((entry) => entry.key.equals(key))) return { status: 'known' };
  // Same algorithm, other key: the host's identity changed. A key of another
  // algorithm only means this one was never recorded (as OpenSSH treats it).
  const other = forHost.find((entry) => entry.keyType === type);
  if (other) return { status: 'changed', fingerprint: print, line: other.line };
  return { status: 'unknown', fingerprint: print };
}

function parseKnownHosts(text: string): Entry[] {
  const entries: Entry[] = [];
  text.split('\n').forEach((raw, index) => {
    const fields = raw.trim().split(/\s+/);
    if (!fields[0] || fields[0].startsWith('#')) return;
    const marker = fields[0] === '@revoked' || fields[0] === '@cert-authority' ? fields.shift() : undefined;
    const [hosts, keyType, base64] = fields;
    if (!hosts || !keyType || !base64) return;
    entries.push({
      line: index + 1,
      marker: marker as Entry['marker'],
      patterns: hosts.split(','),
      keyType,
      key: Buffer.from(base64, 'base64'),
    });
  });
  return entries;
}

/** OpenSSH's rule: some pattern matches and no negated (`!`) pattern does. Hashed entries match one exact name. */
function hostMatches(patterns: string[], name: string): boolean {
  let matched = false;
  for (const pattern of patterns) {
    if (pattern.startsWith('|1|')) {
      if (hashedMatches(pattern, name)) matched = true;
    } else if (pattern.startsWith('!')) {
      if (globMatches(pattern.slice(1), name)) return false;
    } else if (globMatches(pattern, name)) {
      matched = true;
    }
  }
  return matched;
}

function hashedMatches(pattern: string, name: string): boolean {
  const [, , salt, hash] = pattern.split('|');
  if (!salt || !hash) return false;
  return createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64') === hash;
}

/** Host names compare without case, as DNS does. */
function globMatches(pattern: string, name: string): boolean {
  return globRegExp(pattern, 'i').test(name);
}

/**
 * Records a host key the operator accepted, hashed like `HashKnownHosts yes`
 * (the file then does not list where this machine connects). The file is
 * rewritten whole through a temp file and a rename, so a crash never leaves
 * half a line for OpenSSH to choke on.
 */
export async function addKnownHost(file: string, host: string, port: number, key: Buffer): Promise<void> {
  const salt = randomBytes(20);
  const hash = createHmac('sha1', salt).update(hostEntryName(host, port)).digest('base64');
  const line = `|1|${salt.toString('base64')}|${hash} ${keyTypeOf(key)} ${key.toString('base64')}\n`;
  // Two host keys trusted at once must both be kept: the read and the write are one change.
  await exclusive(file, async () => {
    const existing = await readIfExists(file);
    const mode = await stat(file).then(
      (s) => s.mode & 0o777,
      () => 0o600,
    );
    const separator = existing && !existing.endsWith('\n') ? '\n' : '';
    await writeDurably(file, existing + separator + line, mode);
  });
}
