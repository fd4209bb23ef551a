import { join } from 'node:path';
import { z } from 'zod';
import { JsonDocument, type LoadProblem } from '../storage/json-file.js';
import type { SecretStore } from './secret-store.js';

const SERVICE = 'tributary';
const namesSchema = z.object({ names: z.array(z.string()) }).strict();
type NamesFile = z.infer<typeof namesSchema>;

interface KeyringEntry {
  setPassword(value: string): void;
  getPassword(): string | null | undefined;
  deletePassword(): boolean;
}
type EntryConstructor = new (service: string, account: string) => KeyringEntry;

/**
 * Secrets in the OS keyring (Secret Service on Linux, Keychain, Credential
 * Manager). Keyrings cannot list by service, so the names, and only the names,
 * are kept in a file beside the settings.
 */
export class KeyringStore implements SecretStore {
  readonly backend = 'os-keyring' as const;
  readonly persistent = true;
  private readonly file: JsonDocument<NamesFile>;

  private constructor(
    private readonly Entry: EntryConstructor,
    dataDir: string,
    onProblem: (problem: LoadProblem) => void,
  ) {
    this.file = new JsonDocument(join(dataDir, 'secret-names.json'), namesSchema, () => ({ names: [] }), onProblem);
  }

  /** A keyring store when a keyring answers a write-read-delete probe; otherwise undefined. */
  static async open(dataDir: string, onProblem: (problem: LoadProblem) => void): Promise<KeyringStore | undefined> {
    try {
      const { Entry } = (await import('@napi-rs/keyring')) as { Entry: EntryConstructor };
      const probe = new Entry(SERVICE, `probe-${process.pid}`);
      probe.setPassword('probe');
      const ok = probe.getPassword() === 'probe';
      probe.deletePassword();
      return ok ? new KeyringStore(Entry, dataDir, onProblem) : undefined;
    } catch {
      return undefined;
    }
  }

  async names(): Promise<string[]> {
    return [...(await this.file.current()).names].sort();
  }

  get(name: string): Promise<string | undefined> {
    return Promise.resolve(new this.Entry(SERVICE, name).getPassword() ?? undefined);
  }

  async set(name: string, value: string): Promise<void> {
    new this.Entry(SERVICE, name).setPassword(value);
    await this.file.update((current) => ({ names: [...new Set(current.names).add(name)] }));
  }

  async delete(name: string): Promise<void> {
    new this.Entry(SERVICE, name).deletePassword();
    await this.file.update((current) => ({ names: current.names.filter((n) => n !== name) }));
  }
}
