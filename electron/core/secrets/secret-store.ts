import type { SecretBackend } from '../../../shared/contract/index.js';

/** Where the main process keeps credentials. Values leave it only to the code that uses them. */
export interface SecretStore {
  readonly backend: SecretBackend;
  /** False when values are gone once the process exits. */
  readonly persistent: boolean;
  names(): Promise<string[]>;
  get(name: string): Promise<string | undefined>;
  set(name: string, value: string): Promise<void>;
  delete(name: string): Promise<void>;
}

export class MemorySecretStore implements SecretStore {
  readonly backend = 'memory' as const;
  readonly persistent = false;
  private readonly values = new Map<string, string>();

  names(): Promise<string[]> {
    return Promise.resolve([...this.values.keys()].sort());
  }

  get(name: string): Promise<string | undefined> {
    return Promise.resolve(this.values.get(name));
  }

  set(name: string, value: string): Promise<void> {
    this.values.set(name, value);
    return Promise.resolve();
  }

  delete(name: string): Promise<void> {
    this.values.delete(name);
    return Promise.resolve();
  }
}
