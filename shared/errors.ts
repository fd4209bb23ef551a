/**
 * Errors that cross the process boundary. They carry a stable code the UI can
 * branch on and a message written for the operator; never a stack or a secret.
 */
export const errorCodes = [
  'BAD_MESSAGE',
  'UNKNOWN_OPERATION',
  'VALIDATION',
  'PAYLOAD_TOO_LARGE',
  'NOT_FOUND',
  'CONFLICT',
  'CANCELLED',
  'UNAVAILABLE',
  /** The credentials need an interactive sign-in first (an expired or missing SSO session): the UI offers it. */
  'LOGIN_REQUIRED',
  'STORAGE',
  'INTERNAL',
] as const;

export type ErrorCode = (typeof errorCodes)[number];

export interface ErrorIssue {
  /** Dotted path into the input, '' for the input itself. */
  path: string;
  message: string;
}

export interface ErrorPayload {
  code: ErrorCode;
  message: string;
  issues?: ErrorIssue[];
}

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly issues?: ErrorIssue[];

  constructor(code: ErrorCode, message: string, issues?: ErrorIssue[]) {
    super(message);
    this.name = 'AppError';
    this.code = code;
    if (issues) this.issues = issues;
  }

  toPayload(): ErrorPayload {
    return this.issues ? { code: this.code, message: this.message, issues: this.issues } : { code: this.code, message: this.message };
  }

  static fromPayload(payload: ErrorPayload): AppError {
    return new AppError(payload.code, payload.message, payload.issues);
  }
}

export function isAppError(value: unknown): value is AppError {
  return value instanceof AppError;
}
