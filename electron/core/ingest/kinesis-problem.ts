import { AppError, isAppError } from '../../../shared/errors.js';
import { requestErrorCode } from './producer.js';

/** An AWS error as the operator should read it, with the code the UI branches on. */
export function kinesisProblem(error: unknown, stream: string): AppError {
  if (isAppError(error)) return error;
  const code = requestErrorCode(error);
  const message = (error as Error)?.message ?? String(error);
  switch (code) {
    case 'ResourceNotFoundException':
      return new AppError('NOT_FOUND', `No Kinesis stream ${stream} in this environment (${message})`);
    case 'ResourceInUseException':
      return new AppError('CONFLICT', `Stream ${stream} is busy: ${message}`);
    case 'InvalidArgumentException':
    case 'ValidationException':
      return new AppError('VALIDATION', message);
    case 'ECONNREFUSED':
    case 'ENOTFOUND':
    case 'ETIMEDOUT':
    case 'TimeoutError':
      return new AppError('UNAVAILABLE', `The Kinesis endpoint does not answer: ${message}`);
    default:
      return new AppError('UNAVAILABLE', `Kinesis: ${code}: ${message}`);
  }
}
