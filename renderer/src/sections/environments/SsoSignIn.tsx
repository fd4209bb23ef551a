import type { SsoLoginChunk } from '../../../../shared/contract';
import { useStreamAction } from '../../bridge/hooks';
import { ErrorMessage } from '../../components/ErrorMessage';

type Code = Extract<SsoLoginChunk, { kind: 'code' }>;

/** The code to show while the sign-in waits for its approval, and whether it was approved. */
interface SignIn {
  code?: Code;
  signedIn: boolean;
}

/** `aws sso login` in the app: the code to approve in a browser, then `onSignedIn` (which checks the identity again). */
export function SsoSignIn({ environmentId, name, onSignedIn }: { environmentId: string; name: string; onSignedIn: () => void }) {
  // Leaving the section stops the polling; the device code is then simply never used.
  const signIn = useStreamAction<'environments.ssoLogin', SignIn>({
    reduce: (state, chunk) => (chunk.kind === 'code' ? { ...state, code: chunk } : { ...state, signedIn: true }),
    settle: (state) => ({ signedIn: state.signedIn }),
    onSettled: (state) => {
      if (state.signedIn) onSignedIn();
    },
  });
  const code = signIn.state?.code;
  const start = () => signIn.start('environments.ssoLogin', { id: environmentId }, { signedIn: false });

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
          <button type="button" onClick={signIn.cancel}>
            Cancel sign-in
          </button>
        </>
      ) : (
        <button type="button" disabled={signIn.running} onClick={start}>
          Sign in with SSO
        </button>
      )}
      <ErrorMessage error={signIn.error} />
    </section>
  );
}
