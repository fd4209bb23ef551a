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
  if (!existsSync(hostFile)) writeFileSync(hostFile, readableKeyPair().private, { mode: 0o600 });
  if (!existsSync(clientKeyFile) || !existsSync(clientPublicFile)) {
    const pair = readableKeyPair('tributary-sandbox');
    writeFileSync(clientKeyFile, pair.private, { mode: 0o600 });
    writeFileSync(clientPublicFile, `${pair.public}\n`, { mode: 0o644 });
  }
  const hostKey = readFileSync(hostFile, 'utf8');
  const parsed = ssh2.utils.parseKey(hostKey);
  if (parsed instanceof Error) throw parsed;
  const hostPublicKey = `${parsed.type} ${parsed.getPublicSSH().toString('base64')}`;
  return { hostKey, hostPublicKey, clientKeyFile, clientPublicKey: readFileSync(clientPublicFile, 'utf8').trim() };
}

/**
 * ssh2's ed25519 generator strips leading zero bytes from the public key, so about one pair in 256 cannot be
 * read back by its own parser ("Malformed OpenSSH private key"; mscdex/ssh2#1513, open): such a pair is drawn again.
 */
function readableKeyPair(comment?: string): { private: string; public: string } {
  for (;;) {
    const pair = ssh2.utils.generateKeyPairSync('ed25519', comment ? { comment } : {});
    if (!(ssh2.utils.parseKey(pair.private) instanceof Error) && !(ssh2.utils.parseKey(pair.public) instanceof Error)) return pair;
  }
}
