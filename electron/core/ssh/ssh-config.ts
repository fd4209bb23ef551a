import { readFileSync, readdirSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import { basename, dirname, isAbsolute, join } from 'node:path';
import SSHConfig from 'ssh-config';
import { globRegExp } from './glob.js';

/** One SSH server to log in to. */
export interface SshEndpoint {
  host: string;
  port: number;
  user: string;
  /** Absolute paths, in the order OpenSSH would try them. Empty: the agent only (or OpenSSH's default files). */
  identityFiles: string[];
  identitiesOnly: boolean;
}

export interface ResolvedHost extends SshEndpoint {
  alias: string;
  /** ProxyJump hops in connection order, each resolved through the same config. */
  jumps: SshEndpoint[];
  /** ServerAliveInterval, if the config sets one. */
  serverAliveIntervalSec: number | undefined;
}

const MAX_INCLUDE_DEPTH = 16;
const MAX_JUMP_DEPTH = 8;

/**
 * Resolves a Host alias the way `ssh alias` would, for the directives a tunnel
 * needs. `Match exec` is not evaluated: a config is data here, not a script.
 */
export function resolveSshHost(alias: string, configFile = join(homedir(), '.ssh', 'config')): ResolvedHost {
  const config = SSHConfig.parse(expandIncludes(readOrEmpty(configFile), dirname(configFile), 0));
  return resolveIn(config, alias, 0);
}

function resolveIn(config: SSHConfig, spec: string, depth: number): ResolvedHost {
  if (depth > MAX_JUMP_DEPTH) throw new Error(`ProxyJump chain for ${spec} is longer than ${MAX_JUMP_DEPTH} hops (a loop?)`);
  // A hop may be written `user@host:port`; the config still applies to `host`.
  const { user: specUser, host: alias, port: specPort } = splitHop(spec);
  const values = config.compute(alias, { ignoreCase: true, matchExec: false });
  const one = (key: string): string | undefined => {
    const value = values[key];
    return Array.isArray(value) ? value[0] : value;
  };
  const many = (key: string): string[] => {
    const value = values[key];
    return value === undefined ? [] : Array.isArray(value) ? value : [value];
  };
  const user = specUser ?? one('user') ?? userInfo().username;
  const host = (one('hostname') ?? alias).replace(/%h/g, alias).replace(/%%/g, '%');
  const port = specPort ?? Number(one('port') ?? 22);
  const tokens = { host, user, alias };
  const jumpSpec = one('proxyjump');
  const jumps: SshEndpoint[] = [];
  if (jumpSpec && jumpSpec.toLowerCase() !== 'none') {
    for (const hop of jumpSpec.split(',')) {
      // A hop's own ProxyJump comes before it, as with OpenSSH.
      const resolved = resolveIn(config, hop.trim(), depth + 1);
      jumps.push(...resolved.jumps, endpointOf(resolved));
    }
  }
  const alive = one('serveraliveinterval');
  return {
    alias,
    host,
    port,
    user,
    identityFiles: many('identityfile').map((file) => expandPath(file, tokens)),
    identitiesOnly: one('identitiesonly')?.toLowerCase() === 'yes',
    jumps,
    serverAliveIntervalSec: alive === undefined ? undefined : Number(alive),
  };
}

function endpointOf(host: ResolvedHost): SshEndpoint {
  return { host: host.host, port: host.port, user: host.user, identityFiles: host.identityFiles, identitiesOnly: host.identitiesOnly };
}

function splitHop(spec: string): { user: string | undefined; host: string; port: number | undefined } {
  const match = /^(?:([^@]+)@)?(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(spec);
  if (!match) throw new Error(`Cannot read SSH host "${spec}"`);
  return { user: match[1], host: match[2]!.replace(/^\[|\]$/g, ''), port: match[3] ? Number(match[3]) : undefined };
}

/** `~`, and the `%` tokens IdentityFile commonly uses (%d home, %u local user, %h host, %r remote user, %n alias). */
function expandPath(path: string, tokens: { host: string; user: string; alias: string }): string {
  const expanded = path.replace(/^~(?=\/|$)/, homedir()).replace(/%(.)/g, (whole, token: string) => {
    switch (token) {
      case 'd':
        return homedir();
      case 'u':
        return userInfo().username;
      case 'h':
        return tokens.host;
      case 'r':
        return tokens.user;
      case 'n':
        return tokens.alias;
      case '%':
        return '%';
      default:
        return whole;
    }
  });
  return isAbsolute(expanded) ? expanded : join(homedir(), '.ssh', expanded);
}

function readOrEmpty(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw error;
  }
}

/**
 * The ssh-config library parses `Include` but does not follow it, so included
 * files are spliced in here. OpenSSH returns to the including block after an
 * Include, so that block's header is repeated after the spliced text (or
 * `Host *` at top level): lines after the Include keep their meaning.
 */
function expandIncludes(text: string, sshDir: string, depth: number): string {
  if (depth > MAX_INCLUDE_DEPTH) throw new Error('SSH config Include nesting is too deep (a loop?)');
  let header = 'Host *';
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const directive = /^\s*(\w+)(?:\s*=\s*|\s+)(.*)$/.exec(line);
    const keyword = directive?.[1]?.toLowerCase();
    if (keyword === 'host' || keyword === 'match') header = line.trim();
    if (keyword !== 'include') {
      out.push(line);
      continue;
    }
    for (const pattern of splitWords(directive![2]!)) {
      const absolute = pattern.replace(/^~(?=\/|$)/, homedir());
      for (const file of globFiles(isAbsolute(absolute) ? absolute : join(sshDir, absolute))) {
        out.push(expandIncludes(readOrEmpty(file), sshDir, depth + 1));
      }
    }
    out.push(header);
  }
  return out.join('\n');
}

function splitWords(value: string): string[] {
  return [...value.matchAll(/"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2]!);
}

/** Include's glob: `*` and `?` in the last path component (the common `config.d/*`), sorted like glob(3). */
function globFiles(path: string): string[] {
  const name = basename(path);
  if (!/[*?]/.test(name)) return [path];
  const pattern = globRegExp(name);
  try {
    return readdirSync(dirname(path))
      .filter((entry) => pattern.test(entry) && !entry.startsWith('.'))
      .sort()
      .map((entry) => join(dirname(path), entry));
  } catch {
    return [];
  }
}
