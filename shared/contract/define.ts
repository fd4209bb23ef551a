import type { z } from 'zod';

/** Default bound on an operation's input, measured as its JSON text. */
export const DEFAULT_MAX_INPUT_BYTES = 64 * 1024;

interface OperationBase<I extends z.ZodType> {
  /** Shown in errors and the help overlay; one sentence. */
  summary: string;
  input: I;
  /** Inputs larger than this (as JSON) are refused before validation. */
  maxInputBytes: number;
}

/** An operation that answers once. `R` is the result type, checked by the handler. */
export interface CallOperation<I extends z.ZodType = z.ZodType, R = unknown> extends OperationBase<I> {
  kind: 'call';
  readonly _result?: R;
}

/** An operation that answers with a stream of chunks, each acknowledged by the client (backpressure). */
export interface StreamOperation<I extends z.ZodType = z.ZodType, C = unknown> extends OperationBase<I> {
  kind: 'stream';
  readonly _chunk?: C;
}

export type Operation = CallOperation | StreamOperation;

interface DeclareOptions<I extends z.ZodType> {
  summary: string;
  input: I;
  maxInputBytes?: number;
}

export function call<R>() {
  return <I extends z.ZodType>(options: DeclareOptions<I>): CallOperation<I, R> => ({
    kind: 'call',
    summary: options.summary,
    input: options.input,
    maxInputBytes: options.maxInputBytes ?? DEFAULT_MAX_INPUT_BYTES,
  });
}

export function stream<C>() {
  return <I extends z.ZodType>(options: DeclareOptions<I>): StreamOperation<I, C> => ({
    kind: 'stream',
    summary: options.summary,
    input: options.input,
    maxInputBytes: options.maxInputBytes ?? DEFAULT_MAX_INPUT_BYTES,
  });
}

type Module = Record<string, Operation>;

type Prefixed<P extends string, M extends Module> = { [K in keyof M & string as `${P}.${K}`]: M[K] };

type UnionToIntersection<U> = (U extends unknown ? (x: U) => void : never) extends (x: infer I) => void ? I : never;

/**
 * Merges domain modules into one flat table of `domain.operation` names.
 * A name declared twice fails at start-up, never silently shadows.
 */
export function defineContract<const D extends Record<string, Module>>(
  domains: D,
): UnionToIntersection<{ [P in keyof D & string]: Prefixed<P, D[P]> }[keyof D & string]> {
  const table: Record<string, Operation> = Object.create(null) as Record<string, Operation>;
  for (const [domain, ops] of Object.entries(domains)) {
    for (const [name, op] of Object.entries(ops)) {
      const full = `${domain}.${name}`;
      if (full in table) throw new Error(`Operation declared twice: ${full}`);
      table[full] = op;
    }
  }
  return Object.freeze(table) as never;
}
