import { useState, type FormEvent } from 'react';
import type { EnvironmentList, NewEnvironment } from '../../../../shared/contract';
import type { AppError } from '../../../../shared/errors';
import { useClient } from '../../bridge/client-context';
import { toAppError, useCall } from '../../bridge/hooks';
import { ErrorMessage } from '../../components/ErrorMessage';

type Source = NewEnvironment['credentials']['source'];

/** A new AWS environment: a credential source as the AWS CLI knows them, a region, an optional endpoint. */
export function AddEnvironment({ onAdded }: { onAdded: (list: EnvironmentList) => void }) {
  const client = useClient();
  const profiles = useCall('environments.profiles', {});
  const [name, setName] = useState('');
  const [region, setRegion] = useState('us-east-1');
  const [endpoint, setEndpoint] = useState('');
  const [emulator, setEmulator] = useState(false);
  const [source, setSource] = useState<Source>('profile');
  const [profile, setProfile] = useState('');
  const [accessKeyId, setAccessKeyId] = useState('');
  const [secretAccessKey, setSecretAccessKey] = useState('');
  const [error, setError] = useState<AppError>();

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const credentials: NewEnvironment['credentials'] =
      source === 'profile' ? { source, profile } : source === 'environment' ? { source } : { source, accessKeyId, secretAccessKey };
    try {
      onAdded(await client.call('environments.add', { name, region, credentials, ...(endpoint ? { endpoint, emulator } : {}) }));
      setName('');
      setSecretAccessKey('');
      setAccessKeyId('');
      setError(undefined);
    } catch (caught) {
      setError(toAppError(caught));
    }
  };

  return (
    <form className="panel" aria-labelledby="add-env-title" onSubmit={(e) => void submit(e)}>
      <h2 id="add-env-title">Add an AWS environment</h2>
      <ErrorMessage error={error ?? profiles.error} />
      <div className="row">
        <label>
          Name <input value={name} onChange={(e) => setName(e.target.value)} autoComplete="off" />
        </label>
        <label>
          Region <input value={region} onChange={(e) => setRegion(e.target.value)} autoComplete="off" />
        </label>
        <label>
          Credentials{' '}
          <select value={source} onChange={(e) => setSource(e.target.value as Source)}>
            <option value="profile">Profile (~/.aws/config, SSO, role, credential_process)</option>
            <option value="environment">Environment variables</option>
            <option value="keys">Access keys (stored encrypted)</option>
          </select>
        </label>
      </div>
      {source === 'profile' && (
        <label>
          Profile <input list="aws-profiles" value={profile} onChange={(e) => setProfile(e.target.value)} autoComplete="off" />
          <datalist id="aws-profiles">
            {profiles.data?.map((p) => (
              <option key={p.name} value={p.name}>
                {p.kind}
                {p.region ? `, ${p.region}` : ''}
              </option>
            ))}
          </datalist>
        </label>
      )}
      {source === 'keys' && (
        <div className="row">
          <label>
            Access key id <input value={accessKeyId} onChange={(e) => setAccessKeyId(e.target.value)} autoComplete="off" />
          </label>
          <label>
            Secret access key{' '}
            <input
              type="password"
              value={secretAccessKey}
              onChange={(e) => setSecretAccessKey(e.target.value)}
              autoComplete="new-password"
            />
          </label>
        </div>
      )}
      <label>
        Endpoint override (optional){' '}
        <input value={endpoint} onChange={(e) => setEndpoint(e.target.value)} placeholder="https://…" autoComplete="off" />
      </label>
      {endpoint && (
        <label>
          <input type="checkbox" checked={emulator} onChange={(e) => setEmulator(e.target.checked)} /> It is an emulator (LocalStack, moto):
          sign-in and role calls (SSO, STS) go there too
        </label>
      )}
      <button type="submit">Add environment</button>
    </form>
  );
}
