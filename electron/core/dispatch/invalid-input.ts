import { AppError, type ErrorIssue } from '../../../shared/errors.js';

/** A schema's complaint, as zod gives it. */
interface Issue {
  path: readonly PropertyKey[];
  message: string;
}

/**
 * The VALIDATION error for an operation's input that its schema refused, with
 * each issue's dotted path; `under` prefixes the paths when the schema checked
 * only a part of the input (an engine's options, under `spec`).
 */
export function invalidInput(name: string, error: { issues: readonly Issue[] }, under: PropertyKey[] = []): AppError {
  const issues: ErrorIssue[] = error.issues.slice(0, 20).map((issue) => ({
    path: [...under, ...issue.path].map(String).join('.'),
    message: issue.message.slice(0, 300),
  }));
  const first = issues[0];
  const where = first && first.path ? `${first.path}: ` : '';
  return new AppError('VALIDATION', `Invalid input for ${name}: ${where}${first?.message ?? 'rejected'}`, issues);
}
