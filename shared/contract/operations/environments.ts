import { z } from 'zod';
import { call, stream } from '../define.js';

export const SANDBOX_ENVIRONMENT_ID = 'sandbox';

export const environmentIdSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[a-z0-9][a-z0-9-]*$/, 'Use lowercase letters, digits and dashes');

export const regionSchema = z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'Not an AWS region name, e.g. eu-west-1');

const profileNameSchema = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9_.@+=,-]+$/, 'Not a profile name');

/**
 * Where an AWS environment's credentials come from, as the AWS CLI knows them.
 * Typed-in keys are not part of it: they live in the secret store.
 */
export const credentialSourceSchema = z.discriminatedUnion('source', [
  z.object({ source: z.literal('profile'), profile: profileNameSchema }).strict(),
  z.object({ source: z.literal('environment') }).strict(),
  z.object({ source: z.literal('keys') }).strict(),
]);

export const environmentSchema = z
  .object({
    id: environmentIdSchema,
    name: z.string().min(1).max(100),
    kind: z.enum(['sandbox', 'aws']),
    region: regionSchema,
    credentials: credentialSourceSchema.optional(),
    /**
     * An endpoint override (AWS_ENDPOINT_URL style), e.g. a VPC endpoint or an emulator. Stored ones are read as they
     * were (an older file may hold plain http elsewhere); `endpointProblem` is checked again before any call.
     */
    endpoint: z
      .url({ protocol: /^https?$/ })
      .max(300)
      .optional(),
    /** The endpoint is an emulator (LocalStack, moto): only then do the credential providers (SSO, STS) use it too. */
    emulator: z.boolean().optional(),
  })
  .strict();

/** The URL parser every process shared/ runs in has (Node, Chromium); shared/ compiles with neither's types. */
const WhatwgUrl = (globalThis as unknown as { URL: new (input: string) => { protocol: string; hostname: string } }).URL;

/** Why an endpoint override may not carry credentials: plain http is allowed only to this machine. */
export function endpointProblem(endpoint: string): string | undefined {
  let url: { protocol: string; hostname: string };
  try {
    url = new WhatwgUrl(endpoint);
  } catch {
    return 'Not a URL';
  }
  if (url.protocol === 'https:') return undefined;
  if (url.protocol === 'http:' && isLoopback(url.hostname)) return undefined;
  return 'Use https, or http only to this machine (127.0.0.1, ::1, localhost): plain http elsewhere would carry signed requests in clear';
}

/** The URL parser has already made 127.1 or 0x7f.0.0.1 into 127.x.x.x and put IPv6 in brackets. */
function isLoopback(hostname: string): boolean {
  return /^127\.\d+\.\d+\.\d+$/.test(hostname) || hostname === '[::1]' || hostname.toLowerCase() === 'localhost';
}

export type Environment = z.infer<typeof environmentSchema>;

export interface EnvironmentList {
  activeId: string;
  environments: Environment[];
}

/** A profile in the shared AWS config files, as the SDK reads them. */
export interface AwsProfile {
  name: string;
  kind: 'sso' | 'assume-role' | 'credential-process' | 'static-keys' | 'other';
  region?: string;
}

export interface CallerIdentity {
  account: string;
  arn: string;
  region: string;
}

/** Who the credentials are, or the one thing needed first: an MFA code for a role chain. */
export type IdentityResult = { kind: 'identity'; identity: CallerIdentity } | { kind: 'needs-mfa'; serial: string };

/**
 * An IAM Identity Center (SSO) sign-in, as `aws sso login` runs it: first the
 * code the operator approves in a browser, then `done` once the token is cached.
 */
export type SsoLoginChunk = { kind: 'code'; verificationUriComplete: string; userCode: string; expiresAt: string } | { kind: 'done' };

const newEnvironmentSchema = z
  .object({
    name: z.string().trim().min(1, 'Give the environment a name').max(100),
    region: regionSchema,
    endpoint: z
      .url({ protocol: /^https?$/ })
      .max(300)
      .refine((url) => !endpointProblem(url), { error: (issue) => endpointProblem(String(issue.input)) })
      .optional(),
    emulator: z.boolean().optional(),
    credentials: z.discriminatedUnion('source', [
      z.object({ source: z.literal('profile'), profile: profileNameSchema }).strict(),
      z.object({ source: z.literal('environment') }).strict(),
      z
        .object({
          source: z.literal('keys'),
          accessKeyId: z.string().regex(/^(AKIA|ASIA)[A-Z0-9]{12,124}$/, 'An access key id starts with AKIA or ASIA'),
          secretAccessKey: z.string().min(16).max(128),
          sessionToken: z.string().min(16).max(4096).optional(),
        })
        .strict(),
    ]),
  })
  .strict();

export type NewEnvironment = z.input<typeof newEnvironmentSchema>;

const none = z.object({}).strict();

export const environments = {
  list: call<EnvironmentList>()({ summary: 'List environments and which one is active.', input: none }),
  select: call<EnvironmentList>()({
    summary: 'Make an environment the active one.',
    input: z.object({ id: environmentIdSchema }).strict(),
  }),
  profiles: call<AwsProfile[]>()({ summary: 'List the profiles in the shared AWS config and credentials files.', input: none }),
  add: call<EnvironmentList>()({
    summary: 'Add an AWS environment: a credential source, a region and an optional endpoint. Typed keys go to the secret store.',
    input: newEnvironmentSchema,
  }),
  remove: call<EnvironmentList>()({
    summary: 'Remove an AWS environment and forget its stored keys.',
    input: z.object({ id: environmentIdSchema }).strict(),
  }),
  identity: call<IdentityResult>()({
    summary: 'Ask STS who the environment’s credentials are (GetCallerIdentity); a role chain with MFA asks for the code first.',
    input: z
      .object({
        id: environmentIdSchema,
        mfaCode: z
          .string()
          .regex(/^\d{6}$/, 'An MFA code is 6 digits')
          .optional(),
      })
      .strict(),
  }),
  ssoLogin: stream<SsoLoginChunk>()({
    summary:
      'Sign in to IAM Identity Center for an SSO profile’s environment (the device code flow of `aws sso login`); cancel stops waiting.',
    input: z.object({ id: environmentIdSchema }).strict(),
  }),
};
