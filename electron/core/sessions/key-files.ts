import { join } from 'node:path';
import { z } from 'zod';
import { JsonDocument, type LoadProblem } from '../storage/json-file.js';

const fileSchema = z.object({ byKeyName: z.record(z.string(), z.string()) }).strict();

/**
 * Which private key file opens which EC2 key pair (`<data dir>/ssh-keys.json`):
 * the file the operator picked once for a cluster's key pair, or the one
 * provisioning wrote when it created the pair, so no session asks again.
 * Another domain is handed it through its own narrow port (provisioning
 * remembers the keys it creates and says which pairs have a file).
 */
export class KeyFileStore {
  private readonly file: JsonDocument<z.infer<typeof fileSchema>>;

  constructor(dataDir: string, onProblem: (problem: LoadProblem) => void) {
    this.file = new JsonDocument(join(dataDir, 'ssh-keys.json'), fileSchema, () => ({ byKeyName: {} }), onProblem);
  }

  async keyFileOf(keyName: string): Promise<string | undefined> {
    return (await this.file.current()).byKeyName[keyName];
  }

  async rememberKeyFile(keyName: string, path: string): Promise<void> {
    if ((await this.file.current()).byKeyName[keyName] !== path)
      await this.file.update((current) => ({ byKeyName: { ...current.byKeyName, [keyName]: path } }));
  }

  async rememberedKeyNames(): Promise<string[]> {
    return Object.keys((await this.file.current()).byKeyName);
  }
}
