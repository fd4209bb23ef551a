import { join } from 'node:path';
import { z } from 'zod';
import type { SecretBackend } from '../../../shared/contract/index.js';
import { JsonDocument, type LoadProblem } from '../storage/json-file.js';
import type { SecretStore } from './secret-store.js';

/** An OS-backed cipher, e.g. Electron's safeStorage (Keychain, DPAPI, libsecret). */
export interface Cipher {
  encrypt(plain: string): Buffer;
  decrypt(sealed: Buffer): string;
}

const fileSchema = z.object({ entries: z.record(z.string(), z.string()) }).strict();
type SecretsFile = z.infer<typeof fileSchema>;

/** Secrets sealed by an OS cipher and kept, sealed, in one file of the data directory. */
export class EncryptedFileStore implements SecretStore {
  readonly persistent = true;
  private readonly file: JsonDocument<SecretsFile>;

  constructor(
    readonly backend: SecretBackend,
    dataDir: string,
    private readonly cipher: Cipher,
    onProblem: (problem: LoadProblem) => void,
  ) {
    this.file = new JsonDocument(join(dataDir, 'secrets.json'), fileSchema, () => ({ entries: {} }), onProblem);
  }

  async names(): Promise<string[]> {
    return Object.keys((await this.file.current()).entries).sort();
  }

  async get(name: string): Promise<string | undefined> {
    const sealed = (await this.file.current()).entries[name];
    return sealed === undefined ? undefined : this.cipher.decrypt(Buffer.from(sealed, 'base64'));
  }

  async set(name: string, value: string): Promise<void> {
    const sealed = this.cipher.encrypt(value).toString('base64');
    await this.file.update((current) => ({ entries: { ...current.entries, [name]: sealed } }));
  }

  async delete(name: string): Promise<void> {
    await this.file.update((current) => {
      const entries = { ...current.entries };
      delete entries[name];
      return { entries };
    });
  }
}
