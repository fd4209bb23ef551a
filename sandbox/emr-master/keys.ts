import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ssh2 from 'ssh2';

export interface MasterKeys {
  hostKey: string;
  /** For known_hosts: the operator verifies it like any host key. */
  hostPublicKey: string;
  /** The EC2 key pair's private key file the operator picks, as with a real cluster's .pem. */
  clientKeyFile: string;
  clientPublicKey: string;
}

/** The master's host key and the key pair for `hadoop`, generated once and kept with the sandbox state. */
export function masterKeys(dir: string): MasterKeys {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const hostFile = join(dir, 'ssh_host_ed25519_key');
  const clientKeyFile = join(dir, 'tributary-sandbox.pem');
  const clientPublicFile = `${clientKeyFile}.pub`;
  if (!existsSync(hostFile)) writeFileSync(hostFile, ssh2.utils.generateKeyPairSync('ed25519').private, { mode: 0o600 });
  if (!existsSync(clientKeyFile) || !existsSync(clientPublicFile)) {
    const pair = ssh2.utils.generateKeyPairSync('ed25519', { comment: 'tributary-sandbox' });
    writeFileSync(clientKeyFile, pair.private, { mode: 0o600 });
    writeFileSync(clientPublicFile, `${pair.public}\n`, { mode: 0o644 });
  }
  const hostKey = readFileSync(hostFile, 'utf8');
  const parsed = ssh2.utils.parseKey(hostKey);
  if (parsed instanceof Error) throw parsed;
  const hostPublicKey = `${parsed.type} ${parsed.getPublicSSH().toString('base64')}`;
  return { hostKey, hostPublicKey, clientKeyFile, clientPublicKey: readFileSync(clientPublicFile, 'utf8').trim() };
}
