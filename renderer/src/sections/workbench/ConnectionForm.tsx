import { useState } from 'react';
import { sessionLabel, type ConnectionInfo, type EngineKind } from '../../../../shared/contract';
import { useClient } from '../../bridge/client-context';
import { useAction, useCall } from '../../bridge/hooks';
import { ErrorMessage } from '../../components/ErrorMessage';

/** A new SQL connection for the active environment; the password goes to the main process's secret store. */
export function ConnectionForm({
  environmentId,
  onSaved,
  onClose,
}: {
  environmentId: string;
  onSaved: (list: ConnectionInfo[]) => void;
  onClose: () => void;
}) {
  const client = useClient();
  const sessions = useCall('sessions.list', {});
  const { error, act } = useAction();
  const [engine, setEngine] = useState<EngineKind>('redshift');
  const [name, setName] = useState('');
  const [clusterIdentifier, setClusterIdentifier] = useState('');
  const [database, setDatabase] = useState('dev');
  const [user, setUser] = useState('awsuser');
  const [auth, setAuth] = useState<'password' | 'iam'>('password');
  const [password, setPassword] = useState('');
  const [sessionId, setSessionId] = useState('');
  const [clusterId, setClusterId] = useState('');

  const save = () =>
    act(async () => {
      const spec =
        engine === 'spark'
          ? { engine, clusterId }
          : engine === 'redshift-data'
            ? { engine, clusterIdentifier, database, user }
            : {
                engine,
                clusterIdentifier,
                database,
                user,
                auth,
                ...(auth === 'password' && password ? { password } : {}),
                route: sessionId ? { kind: 'session' as const, sessionId } : { kind: 'direct' as const },
              };
      const list = await client.call('connections.save', { name, environmentId, spec });
      setPassword('');
      onSaved(list);
    });

  return (
    <form
      className="panel connection-form"
      aria-label="New connection"
      onSubmit={(e) => {
        e.preventDefault();
        void save();
      }}
    >
      <h2>New connection</h2>
      <div className="row">
        <label>
          Name <input value={name} onChange={(e) => setName(e.target.value)} required />
        </label>
        <label>
          Engine{' '}
          <select value={engine} onChange={(e) => setEngine(e.target.value as EngineKind)}>
            <option value="redshift">Redshift (wire protocol)</option>
            <option value="redshift-data">Redshift Data API</option>
            <option value="spark">Spark SQL on EMR</option>
          </select>
        </label>
      </div>
      {engine === 'spark' ? (
        <label>
          EMR cluster id <input value={clusterId} onChange={(e) => setClusterId(e.target.value)} placeholder="j-…" />
        </label>
      ) : (
        <div className="row">
          <label>
            Cluster identifier <input value={clusterIdentifier} onChange={(e) => setClusterIdentifier(e.target.value)} />
          </label>
          <label>
            Database <input value={database} onChange={(e) => setDatabase(e.target.value)} />
          </label>
          <label>
            User <input value={user} onChange={(e) => setUser(e.target.value)} />
          </label>
        </div>
      )}
      {engine === 'redshift' && (
        <div className="row">
          <label>
            Sign-in{' '}
            <select value={auth} onChange={(e) => setAuth(e.target.value as 'password' | 'iam')}>
              <option value="password">Password</option>
              <option value="iam">IAM (GetClusterCredentials)</option>
            </select>
          </label>
          {auth === 'password' && (
            <label>
              Password <input type="password" autoComplete="off" value={password} onChange={(e) => setPassword(e.target.value)} />
            </label>
          )}
          <label>
            Through{' '}
            <select value={sessionId} onChange={(e) => setSessionId(e.target.value)}>
              <option value="">Direct (publicly accessible)</option>
              {(sessions.data ?? []).map((s) => (
                <option key={s.id} value={s.id}>
                  SSH session to {sessionLabel(s)}
                </option>
              ))}
            </select>
          </label>
        </div>
      )}
      <ErrorMessage error={error} />
      <div className="row">
        <button type="submit">Save connection</button>
        <button type="button" onClick={onClose}>
          Close
        </button>
      </div>
    </form>
  );
}
