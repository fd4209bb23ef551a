import { useEffect, useRef, useState } from 'react';
import type { SsoLoginChunk } from '../../../../shared/contract';
import type { AppError } from '../../../../shared/errors';
import { useClient } from '../../bridge/client-context';
import { toAppError } from '../../bridge/hooks';
import { ErrorMessage } from '../../components/ErrorMessage';

type Code = Extract<SsoLoginChunk, { kind: 'code' }>;

/** `aws sso login` in the app: the code to approve in a browser, then `onSignedIn` (which checks the identity again). */
export function SsoSignIn({ environmentId, name, onSignedIn }: { environmentId: string; name: string; onSignedIn: () => void }) {
  const client = useClient();
  const [code, setCode] = useState<Code>();
  const [error, setError] = useState<AppError>();
  const [busy, setBusy] = useState(false);
  const cancel = useRef<() => void>(undefined);

  // Leaving the section stops the polling; the device code is then simply never used.
  useEffect(() => () => cancel.current?.(), []);

  const start = async () => {
    setError(undefined);
    setBusy(true);
    let signedIn = false;
    const handle = client.stream(
      'environments.ssoLogin',
      { id: environmentId },
      {
        onChunk: (chunk) => {
          if (chunk.kind === 'code') setCode(chunk);
          else signedIn = true;
        },
      },
    );
    cancel.current = handle.cancel;
    try {
      await handle.done;
    } catch (caught) {
      const appError = toAppError(caught);
      if (appError.code !== 'CANCELLED') setError(appError);
    } finally {
      cancel.current = undefined;
      setCode(undefined);
      setBusy(false);
    }
    if (signedIn) onSignedIn();
  };

  return (
    <section className="panel" aria-label={`SSO sign-in for ${name}`}>
      {code ? (
        <>
          <p>
            Open{' '}
            <a href={code.verificationUriComplete} target="_blank" rel="noreferrer">
              the IAM Identity Center sign-in page
            </a>{' '}
            and check that it shows the code <strong aria-label="SSO user code">{code.userCode}</strong>, then approve it. The code is valid
            until {new Date(code.expiresAt).toLocaleTimeString()}.
          </p>
          <button type="button" onClick={() => cancel.current?.()}>
            Cancel sign-in
          </button>
        </>
      ) : (
        <button type="button" disabled={busy} onClick={() => void start()}>
          Sign in with SSO
        </button>
      )}
      <ErrorMessage error={error} />
    </section>
  );
}
