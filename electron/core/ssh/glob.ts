/** OpenSSH's wildcards (`*` any run, `?` one character, nothing else special) as a regular expression for the whole string. */
export function globRegExp(pattern: string, flags?: string): RegExp {
  const source = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${source}$`, flags);
}
