import { useState } from 'react';
import type { CallerIdentity } from '../../../shared/contract';
import type { AppError } from '../../../shared/errors';
import { useClient } from '../bridge/client-context';
import { toAppError, useAction, useCall } from '../bridge/hooks';
import { ErrorMessage } from '../components/ErrorMessage';
import { AddEnvironment } from './environments/AddEnvironment';
import { SandboxPanel } from './environments/SandboxPanel';
import { SsoSignIn } from './environments/SsoSignIn';

export default function Environments() {
  const client = useClient();
  const list = useCall('environments.list', {});
  const { error, act } = useAction();
  const [identity, setIdentity] = useState<{ id: string; value?: CallerIdentity; mfaSerial?: string; error?: AppError }>();
  const [mfaCode, setMfaCode] = useState('');

  const check = async (id: string, code?: string) => {
    setIdentity({ id });
    try {
      const answer = await client.call('environments.identity', code ? { id, mfaCode: code } : { id });
      setIdentity(answer.kind === 'identity' ? { id, value: answer.identity } : { id, mfaSerial: answer.serial });
    } catch (caught) {
      setIdentity({ id, error: toAppError(caught) });
    } finally {
      setMfaCode('');
    }
  };

  return (
    <section aria-label="Environments list">
      <ErrorMessage error={error ?? list.error} />
      <table className="table">
        <caption>Each environment is a credential source and a region. The local sandbox runs the whole pipeline on this machine.</caption>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Kind</th>
            <th scope="col">Region</th>
            <th scope="col">State</th>
            <th scope="col">Identity</th>
          </tr>
        </thead>
        <tbody>
          {list.data?.environments.map((env) => {
            const active = env.id === list.data?.activeId;
            return (
              <tr key={env.id} aria-current={active ? 'true' : undefined}>
                <th scope="row">{env.name}</th>
                <td>
                  {env.kind === 'sandbox'
                    ? 'Local sandbox'
                    : `AWS (${env.credentials?.source === 'profile' ? `profile ${env.credentials.profile}` : env.credentials?.source})`}
                </td>
                <td>{env.region}</td>
                <td>
                  {active ? (
                    <span className="badge">Active</span>
                  ) : (
                    <button
                      type="button"
                      onClick={() =>
                        void act(async () => {
                          list.set(await client.call('environments.select', { id: env.id }));
                          void check(env.id);
                        })
                      }
                      aria-label={`Make ${env.name} active`}
                    >
                      Make active
                    </button>
                  )}
                </td>
                <td>
                  <button type="button" aria-label={`Check identity of ${env.name}`} onClick={() => void check(env.id)}>
                    Check
                  </button>{' '}
                  {env.kind === 'aws' && (
                    <button
                      type="button"
                      aria-label={`Remove ${env.name}`}
                      onClick={() => void act(async () => list.set(await client.call('environments.remove', { id: env.id })))}
                    >
                      Remove
                    </button>
                  )}
                  {identity?.id === env.id && identity.value && (
                    <div aria-label={`Identity of ${env.name}`}>
                      Account <strong>{identity.value.account}</strong> · <code>{identity.value.arn}</code>
                    </div>
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {identity?.error && <ErrorMessage error={identity.error} />}
      {identity?.error?.code === 'LOGIN_REQUIRED' && (
        <SsoSignIn
          key={identity.id}
          environmentId={identity.id}
          name={list.data?.environments.find((env) => env.id === identity.id)?.name ?? identity.id}
          onSignedIn={() => void check(identity.id)}
        />
      )}
      {identity?.mfaSerial && (
        <form
          className="panel"
          aria-label="MFA code"
          onSubmit={(e) => {
            e.preventDefault();
            void check(identity.id, mfaCode);
          }}
        >
          <label>
            MFA code for <code>{identity.mfaSerial}</code>{' '}
            <input inputMode="numeric" autoComplete="one-time-code" value={mfaCode} onChange={(e) => setMfaCode(e.target.value)} />
          </label>{' '}
          <button type="submit">Continue</button>
        </form>
      )}
      <AddEnvironment onAdded={list.set} />
      <SandboxPanel />
    </section>
  );
}
