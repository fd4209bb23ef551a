import type { ProblemReason, ProvisionFailure } from '../../../shared/contract/index.js';
import { AppError, type ErrorCode } from '../../../shared/errors.js';

/** A provisioning step that failed, with AWS's reason in one message. */
export class ProvisionError extends Error {
  constructor(readonly failure: ProvisionFailure) {
    super(failure.message);
    this.name = 'ProvisionError';
  }

  toAppError(): AppError {
    return new AppError(appCodeOf(this.failure.reason), this.failure.message);
  }
}

const THROTTLING = new Set([
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'RequestThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'SlowDown',
  'ProvisionedThroughputExceededException',
  'EC2ThrottledException',
  'BandwidthLimitExceeded',
  'PriorRequestNotComplete',
]);
const LIMITS = new Set([
  'LimitExceededException',
  'LimitExceeded',
  'TooManyBuckets',
  'ClusterQuotaExceeded',
  'ClusterQuotaExceededFault',
  'NumberOfNodesQuotaExceeded',
  'NumberOfNodesQuotaExceededFault',
  'NumberOfNodesPerClusterLimitExceeded',
  'NumberOfNodesPerClusterLimitExceededFault',
  'InsufficientClusterCapacity',
  'InsufficientClusterCapacityFault',
  'ServiceQuotaExceededException',
  'KeyPairLimitExceeded',
  'ClusterSnapshotQuotaExceeded',
]);
const EXISTS = new Set([
  'ResourceInUseException',
  'BucketAlreadyOwnedByYou',
  'BucketAlreadyExists',
  'ClusterAlreadyExists',
  'ClusterAlreadyExistsFault',
  'EntityAlreadyExists',
  'EntityAlreadyExistsException',
  'InvalidKeyPair.Duplicate',
  'ClusterSnapshotAlreadyExists',
  'ClusterSnapshotAlreadyExistsFault',
]);
const ACCESS = new Set([
  'AccessDenied',
  'AccessDeniedException',
  'UnauthorizedOperation',
  'UnauthorizedAccess',
  'AuthorizationError',
  'Forbidden',
  'InvalidClientTokenId',
  'UnrecognizedClientException',
  'ExpiredToken',
  'ExpiredTokenException',
  'SignatureDoesNotMatch',
]);
const INVALID = new Set([
  'ValidationException',
  'ValidationError',
  'InvalidParameterValue',
  'InvalidParameterValueException',
  'InvalidParameterCombination',
  'InvalidParameterException',
  'InvalidArgumentException',
  'InvalidArgument',
  'InvalidBucketName',
  'InvalidRequestException',
  'InvalidRequest',
  'MalformedPolicyDocument',
  'InvalidSubnet',
  'InvalidSubnetID.NotFound',
  'InvalidKeyPair.NotFound',
  'InvalidClusterState',
  'InvalidClusterStateFault',
  'UnsupportedOperation',
  'KMSInvalidStateException',
]);
const NOT_FOUND = new Set([
  'ResourceNotFoundException',
  'NoSuchBucket',
  'ClusterNotFound',
  'ClusterNotFoundFault',
  'NoSuchEntity',
  'NotFound',
  'NoSuchKey',
]);

interface SdkError {
  name?: string;
  Code?: string;
  code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number; attempts?: number };
  $fault?: string;
}

export function awsCodeOf(error: unknown): string | undefined {
  const e = error as SdkError | undefined;
  if (!e || typeof e !== 'object') return undefined;
  return e.Code ?? e.code ?? (e.name && e.name !== 'Error' ? e.name : undefined);
}

function reasonOf(code: string | undefined, message: string, status: number | undefined): ProblemReason {
  if (code && THROTTLING.has(code)) return 'throttled';
  // Kinesis says LimitExceededException both for its control-plane rate and for its quotas.
  if (code === 'LimitExceededException' && /rate exceeded/i.test(message)) return 'throttled';
  if (code && LIMITS.has(code)) return 'limit';
  if (code && EXISTS.has(code)) return 'exists';
  if (code && ACCESS.has(code)) return 'access-denied';
  if (code && INVALID.has(code)) return 'invalid';
  if (code && NOT_FOUND.has(code)) return 'not-found';
  if (status === 403) return 'access-denied';
  if (status === 404) return 'not-found';
  if (status === 429) return 'throttled';
  return 'other';
}

function appCodeOf(reason: ProblemReason): ErrorCode {
  switch (reason) {
    case 'invalid':
      return 'VALIDATION';
    case 'not-found':
      return 'NOT_FOUND';
    case 'exists':
    case 'limit':
    case 'access-denied':
      return 'CONFLICT';
    case 'cancelled':
      return 'CANCELLED';
    default:
      return 'UNAVAILABLE';
  }
}

/**
 * One clear message per kind of AWS failure: what was being done (the IAM action),
 * AWS's own words, and what to do about it. `what` names the resource for the operator.
 */
export function explainAwsError(error: unknown, action: string, what: string): ProvisionError {
  if (error instanceof ProvisionError) return error;
  if (error instanceof AppError)
    return new ProvisionError({ reason: error.code === 'CANCELLED' ? 'cancelled' : 'other', message: error.message, action });
  const e = (error ?? {}) as SdkError;
  if (e.name === 'AbortError') return new ProvisionError({ reason: 'cancelled', message: `Cancelled while ${what}.`, action });
  const code = awsCodeOf(error);
  const aws = (e.message ?? String(error)).replace(/\s+/g, ' ').trim().slice(0, 500);
  const status = e.$metadata?.httpStatusCode;
  const attempts = e.$metadata?.attempts ?? 1;
  const reason = reasonOf(code, aws, status);
  const tail = code ? ` (${code}: ${aws})` : ` (${aws})`;
  let message: string;
  switch (reason) {
    case 'throttled':
      message = `AWS is throttling ${action} while ${what}; retried ${Math.max(0, attempts - 1)} time${attempts === 2 ? '' : 's'} with backoff. Wait a minute and try again, or ask for a higher rate under Service Quotas${tail}.`;
      break;
    case 'limit':
      message = `An account limit stopped ${action} while ${what}: delete unused resources or ask for a quota increase under Service Quotas${tail}.`;
      break;
    case 'exists':
      message =
        code === 'BucketAlreadyExists'
          ? `The bucket name is taken by another AWS account (bucket names are global); choose another name${tail}.`
          : `${capitalize(what.replace(/^(creating|making) /, ''))} already exists${code === 'BucketAlreadyOwnedByYou' ? ' in your account' : ''}; choose another name, or use the existing one${tail}.`;
      break;
    case 'access-denied':
      message = `AWS denied ${action} while ${what}. Allow "${action}" in an IAM policy of this identity (or use a profile that has it), then try again${tail}.`;
      break;
    case 'invalid':
      message = `AWS refused the request while ${what}${tail}.`;
      break;
    case 'not-found':
      message = `AWS found nothing while ${what}${tail}.`;
      break;
    default:
      message = `${capitalize(what)} failed${tail}.`;
  }
  return new ProvisionError({ reason, message, ...(code ? { awsCode: code } : {}), action });
}

const capitalize = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

/** Runs one AWS call, turning its failure into a ProvisionError that names the action. */
export async function aws<T>(action: string, what: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw explainAwsError(error, action, what);
  }
}

/** Whether an AWS call failed because the thing is not there (for existence checks). */
export function isNotFound(error: unknown): boolean {
  const code = awsCodeOf(error);
  const status = (error as SdkError | undefined)?.$metadata?.httpStatusCode;
  return (
    (code !== undefined && NOT_FOUND.has(code)) ||
    code === 'InvalidKeyPair.NotFound' ||
    code === 'InvalidSubnetID.NotFound' ||
    status === 404
  );
}

/** Runs an AWS call; undefined when what it asks for is not there (a describe of something deleted since). */
export async function unlessNotFound<T>(run: () => Promise<T>): Promise<T | undefined> {
  try {
    return await run();
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

/** Whether what an AWS call asks for is there. */
export async function exists(run: () => Promise<unknown>): Promise<boolean> {
  return (
    (await unlessNotFound(async () => {
      await run();
      return true;
    })) ?? false
  );
}
