import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { z } from 'zod';
import {
  SANDBOX_ENVIRONMENT_ID,
  environmentIdSchema,
  environmentSchema,
  endpointProblem,
  type Environment,
  type IdentityResult,
  type EnvironmentList,
  type NewEnvironment,
  type SsoLoginChunk,
} from '../../../shared/contract/index.js';
import { AppError } from '../../../shared/errors.js';
import { AwsScope, type AwsAccess, type AwsTarget } from '../aws/clients.js';
import { credentialsFor, emulatorProfileProblem, explainCredentialError, listProfiles, MfaRequired } from '../aws/credentials.js';
import { ssoDeviceLogin, ssoSignInOf } from '../aws/sso-login.js';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import type { SandboxAccess } from '../../../sandbox/client/constants.js';
import type { HandlerGroup } from '../dispatch/handlers.js';
import type { EventHub } from '../events.js';
import type { Logger } from '../../../shared/node/log.js';
import { environmentKeysName } from '../secrets/names.js';
import type { SecretStore } from '../secrets/secret-store.js';
import { JsonDocument } from '../storage/json-file.js';
import type { NoticeBoard } from '../storage/notices.js';

const sandbox: Environment = { id: SANDBOX_ENVIRONMENT_ID, name: 'Local sandbox', kind: 'sandbox', region: 'us-east-1', emulator: true };
const MAX_ENVIRONMENTS = 200;

const fileSchema = z
  .object({
    activeId: environmentIdSchema.default(SANDBOX_ENVIRONMENT_ID),
    /** Environments the operator added; the sandbox is built in and never stored. */
    added: z.array(environmentSchema).max(MAX_ENVIRONMENTS).default([]),
  })
  .strict();

type EnvironmentsFile = z.infer<typeof fileSchema>;

export interface EnvironmentsDeps {
  dataDir: string;
  version: string;
  notices: NoticeBoard;
  events: EventHub;
  secrets: SecretStore;
  log: Logger;
  /** The running sandbox's endpoint and its run's access keys (from its run file). */
  sandboxAccess: () => SandboxAccess | undefined;
}

/** Credentials are reused until five minutes before they expire, so a role chain asks for MFA once per session, as the CLI does. */
const REFRESH_BEFORE_MS = 5 * 60_000;

export class EnvironmentsService implements AwsAccess {
  private readonly file: JsonDocument<EnvironmentsFile>;
  private readonly providers = new Map<string, AwsCredentialIdentityProvider>();
  /** An MFA code the operator just gave, used by the next resolution of that environment's role chain. */
  private readonly mfaCodes = new Map<string, string>();

  constructor(private readonly deps: EnvironmentsDeps) {
    this.file = new JsonDocument(
      join(deps.dataDir, 'environments.json'),
      fileSchema,
      () => fileSchema.parse({}),
      (p) => deps.notices.fileProblem(p),
    );
  }

  async list(): Promise<EnvironmentList> {
    const state = await this.file.current();
    const environments = [sandbox, ...state.added];
    // A profile removed by hand leaves a dangling active id; fall back to the sandbox, visibly.
    const activeId = environments.some((env) => env.id === state.activeId) ? state.activeId : SANDBOX_ENVIRONMENT_ID;
    return { activeId, environments };
  }

  async active(): Promise<Environment> {
    const { activeId, environments } = await this.list();
    return environments.find((env) => env.id === activeId) ?? sandbox;
  }

  async select(id: string): Promise<EnvironmentList> {
    const target = await this.find(id);
    await this.file.update((state) => ({ ...state, activeId: id }));
    this.deps.events.emit({ type: 'environment', activeId: target.id, activeName: target.name });
    return this.list();
  }

  async add(input: NewEnvironment): Promise<EnvironmentList> {
    const full = (state: EnvironmentsFile) => state.added.length >= MAX_ENVIRONMENTS;
    const refuse = () => new AppError('CONFLICT', `There are already ${MAX_ENVIRONMENTS} environments; remove one first.`);
    if (full(await this.file.current())) throw refuse();
    const base =
      input.name
        .toLowerCase()
        .replace(/[^a-z0-9]+/g, '-')
        .replace(/^-+|-+$/g, '')
        .slice(0, 40) || 'aws';
    const id = `${base}-${randomBytes(3).toString('hex')}`;
    const { credentials } = input;
    const emulatorProblem = input.emulator && credentials.source === 'profile' && (await emulatorProfileProblem(credentials.profile));
    if (emulatorProblem) throw new AppError('VALIDATION', emulatorProblem, [{ path: 'credentials.profile', message: emulatorProblem }]);
    const environment: Environment = {
      id,
      name: input.name.trim(),
      kind: 'aws',
      region: input.region,
      credentials: credentials.source === 'keys' ? { source: 'keys' } : credentials,
      ...(input.endpoint ? { endpoint: input.endpoint } : {}),
      ...(input.emulator ? { emulator: true } : {}),
    };
    if (credentials.source === 'keys') {
      const { source: _source, ...keys } = credentials;
      this.deps.log.addSecret(keys.secretAccessKey);
      if (keys.sessionToken) this.deps.log.addSecret(keys.sessionToken);
      await this.deps.secrets.set(environmentKeysName(id), JSON.stringify(keys));
    }
    await this.file.update((state) => {
      if (full(state)) throw refuse();
      return { ...state, added: [...state.added, environment] };
    });
    this.deps.log.info(
      'environments',
      `Added environment ${environment.name} (${id}, ${environment.region}, ${environment.credentials?.source})`,
    );
    return this.list();
  }

  async remove(id: string): Promise<EnvironmentList> {
    if (id === SANDBOX_ENVIRONMENT_ID) throw new AppError('CONFLICT', 'The local sandbox is built in and cannot be removed.');
    const target = await this.find(id);
    if (target.credentials?.source === 'keys') await this.deps.secrets.delete(environmentKeysName(id));
    this.providers.delete(id);
    let wasActive = false;
    await this.file.update((state) => {
      wasActive = state.activeId === id;
      return { activeId: wasActive ? SANDBOX_ENVIRONMENT_ID : state.activeId, added: state.added.filter((env) => env.id !== id) };
    });
    if (wasActive) this.deps.events.emit({ type: 'environment', activeId: SANDBOX_ENVIRONMENT_ID, activeName: sandbox.name });
    return this.list();
  }

  /** The active environment's AWS (or the named one's): how every service builds its clients. */
  async aws(environmentId?: string): Promise<AwsScope> {
    const { environment, target } = await this.target(environmentId ?? (await this.active()).id);
    return new AwsScope(environment, target, this.deps.version);
  }

  /** Where an environment's AWS calls go, with which credentials: what every AWS client is built from. */
  async target(id: string): Promise<{ environment: Environment; target: AwsTarget }> {
    const environment = await this.find(id);
    if (environment.kind === 'sandbox') {
      const access = this.deps.sandboxAccess();
      if (!access) throw new AppError('UNAVAILABLE', 'The local sandbox is not running. Start it under Environments → Local sandbox.');
      return { environment, target: { region: environment.region, endpoint: access.endpoint, credentials: access.credentials } };
    }
    const problem = environment.endpoint && endpointProblem(environment.endpoint);
    if (problem)
      throw new AppError(
        'VALIDATION',
        `The endpoint override of ${environment.name} is refused: ${problem}. Remove the environment and add it again.`,
      );
    return {
      environment,
      target: {
        region: environment.region,
        ...(environment.endpoint ? { endpoint: environment.endpoint } : {}),
        credentials: this.provider(environment),
      },
    };
  }

  private provider(environment: Environment): AwsCredentialIdentityProvider {
    let provider = this.providers.get(environment.id);
    if (!provider) {
      const base = credentialsFor(environment, this.deps.secrets, () => {
        const code = this.mfaCodes.get(environment.id);
        this.mfaCodes.delete(environment.id);
        return code;
      });
      let current: AwsCredentialIdentity | undefined;
      // The calling client's config travels on: a role chain's STS takes its region from it.
      provider = async (options) => {
        if (current && (!current.expiration || current.expiration.getTime() - Date.now() > REFRESH_BEFORE_MS)) return current;
        current = await base(options);
        return current;
      };
      this.providers.set(environment.id, provider);
    }
    return provider;
  }

  async identity(id: string, mfaCode: string | undefined, signal: AbortSignal): Promise<IdentityResult> {
    const { environment, target } = await this.target(id);
    if (mfaCode) this.mfaCodes.set(id, mfaCode);
    try {
      const answer = await new AwsScope(environment, target, this.deps.version).use(STSClient, (sts) =>
        sts.send(new GetCallerIdentityCommand({}), { abortSignal: signal }),
      );
      return { kind: 'identity', identity: { account: answer.Account ?? '', arn: answer.Arn ?? '', region: environment.region } };
    } catch (error) {
      if (signal.aborted) throw error;
      const mfa = error instanceof MfaRequired ? error : (error as { cause?: unknown }).cause;
      if (mfa instanceof MfaRequired) return { kind: 'needs-mfa', serial: mfa.serial };
      const explained = explainCredentialError(error, environment, target.endpoint ?? `sts.${environment.region}.amazonaws.com`);
      throw new AppError(explained.code, this.deps.log.redact(explained.message));
    } finally {
      this.mfaCodes.delete(id);
    }
  }

  /** `aws sso login` for the environment's SSO profile; its next AWS call then resolves credentials anew. */
  async *ssoLogin(id: string, signal: AbortSignal): AsyncGenerator<SsoLoginChunk> {
    const environment = await this.find(id);
    const profile = environment.credentials?.source === 'profile' ? environment.credentials.profile : undefined;
    const sso = profile ? await ssoSignInOf(profile) : undefined;
    if (!sso)
      throw new AppError(
        'CONFLICT',
        `${environment.name} does not take its credentials from an IAM Identity Center (SSO) profile; there is nothing to sign in to.`,
      );
    yield* ssoDeviceLogin(sso, this.deps, signal);
    this.providers.delete(id);
    yield { kind: 'done' };
  }

  private async find(id: string): Promise<Environment> {
    const found = (await this.list()).environments.find((env) => env.id === id);
    if (!found) throw new AppError('NOT_FOUND', `No environment named ${id}`);
    return found;
  }

  handlers(): HandlerGroup {
    return {
      'environments.list': () => this.list(),
      'environments.select': ({ id }) => this.select(id),
      'environments.profiles': () => listProfiles(),
      'environments.add': (input) => this.add(input),
      'environments.remove': ({ id }) => this.remove(id),
      'environments.identity': ({ id, mfaCode }, { signal }) => this.identity(id, mfaCode, signal),
      'environments.ssoLogin': ({ id }, { signal }) => this.ssoLogin(id, signal),
    };
  }
}
