import type { IncomingHttpHeaders } from 'node:http';
import type { SignatureProblem } from './signature.js';

/** Which of AWS's wire shapes a refusal takes: JSON (`__type`), S3's REST-XML, or the Query/EC2 XML. */
export type Protocol = 'json' | 's3' | 'query';

export interface Refusal {
  status: number;
  code: string;
  message: string;
}

/**
 * The gateway answers only to its own loopback names. A browser tricked by DNS rebinding sends the attacker's
 * host name here, so a page cannot reach the endpoint even unsigned. Clients address S3 path-style on the
 * sandbox (aws-config.ts), so no bucket subdomain is needed.
 */
export function hostAllowed(headers: IncomingHttpHeaders, port: number): boolean {
  const host = String(headers.host ?? '').toLowerCase();
  return host === `127.0.0.1:${port}` || host === `localhost:${port}`;
}

export function hostRefusal(protocol: Protocol): Refusal {
  const message = 'This endpoint answers only to 127.0.0.1 and localhost on its own port.';
  return { status: 403, code: protocol === 'json' ? 'AccessDeniedException' : 'AccessDenied', message };
}

/** A refused signature in the words AWS uses for the protocol, so the SDK and CLI raise the error they raise on AWS. */
export function signatureRefusal(problem: SignatureProblem, protocol: Protocol): Refusal {
  const words = {
    missing: {
      json: ['MissingAuthenticationTokenException', 'Missing Authentication Token'],
      s3: ['AccessDenied', 'Access Denied'],
      query: ['MissingAuthenticationToken', 'Request is missing Authentication Token'],
    },
    'unknown-key': {
      json: ['UnrecognizedClientException', 'The security token included in the request is invalid.'],
      s3: ['InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.'],
      query: ['InvalidClientTokenId', 'The security token included in the request is invalid.'],
    },
    mismatch: { json: ['InvalidSignatureException'], s3: ['SignatureDoesNotMatch'], query: ['SignatureDoesNotMatch'] },
    skewed: { json: ['InvalidSignatureException'], s3: ['RequestTimeTooSkewed'], query: ['SignatureDoesNotMatch'] },
    expired: {
      json: ['InvalidSignatureException', 'Signature expired.'],
      s3: ['AccessDenied', 'Request has expired'],
      query: ['SignatureDoesNotMatch', 'Signature expired.'],
    },
  }[problem.kind][protocol];
  const message = words[1] ?? ('message' in problem ? problem.message : '');
  return { status: 403, code: words[0]!, message };
}
