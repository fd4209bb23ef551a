import { useEffect, useState } from 'react';
import { masterServices, sessionLabel, type HostKeyQuestion, type MasterServiceId, type OpenSessionResult } from '../../../shared/contract';
import { useClient } from '../bridge/client-context';
import { useAction, useCall } from '../bridge/hooks';
import { ErrorMessage } from '../components/ErrorMessage';
import { FileField, type FileChoice } from '../components/FileField';
import { Terminal } from './sessions/Terminal';

/** A session being opened: to a cluster's master, or to a bastion; asked again with the operator's answers. */
type Opening = { clusterId: string } | { bastion: string };

interface Pending {
  opening: Opening;
  keyName?: string;
  question?: HostKeyQuestion;
  passphraseFor?: { keyFile: string; wrong: boolean };
}

export default function Sessions() {
  const client = useClient();
  const clusters = useCall('sessions.clusters', {});
  const sessions = useCall('sessions.list', {});
  const { error, act } = useAction();
  const [pending, setPending] = useState<Pending>();
  const [keyFile, setKeyFile] = useState<FileChoice>();
  const [passphrase, setPassphrase] = useState('');
  const [bastion, setBastion] = useState('');
  const [bastionHost, setBastionHost] = useState('');
  const [redshiftId, setRedshiftId] = useState('');
  const [terminals, setTerminals] = useState<{ key: number; sessionId: string; label: string }[]>([]);
  const [activeTerminal, setActiveTerminal] = useState<number>();
  const [nextTerminal, setNextTerminal] = useState(1);

  const openTerminal = (sessionId: string, on: string) => {
    const key = nextTerminal;
    setNextTerminal(key + 1);
    setTerminals((all) => [...all, { key, sessionId, label: `Terminal ${key} on ${on}` }]);
    setActiveTerminal(key);
  };
  const closeTerminal = (key: number) => {
    setTerminals((all) => all.filter((t) => t.key !== key));
    setActiveTerminal((active) => (active === key ? undefined : active));
  };
  const { reload } = sessions;

  // Tunnel states, bytes and latency change on their own; follow them while the section is open.
  useEffect(() => {
    const timer = setInterval(reload, 3000);
    return () => clearInterval(timer);
  }, [reload]);

  const open = (opening: Opening, extra: { keyFile?: string; trustFingerprint?: string; keyPassphrase?: string } = {}) =>
    act(async () => {
      const result: OpenSessionResult =
        'clusterId' in opening
          ? await client.call('sessions.openMaster', { clusterId: opening.clusterId, ...extra, ...(bastion ? { bastion } : {}) })
          : await client.call('sessions.openBastion', { host: opening.bastion, ...extra });
      setPassphrase('');
      if (result.kind === 'session') {
        setPending(undefined);
        sessions.reload();
      } else if (result.kind === 'needs-key-file') setPending({ opening, keyName: result.keyName });
      else if (result.kind === 'needs-passphrase') setPending({ opening, passphraseFor: { keyFile: result.keyFile, wrong: result.wrong } });
      else setPending({ opening, question: result.question });
    });

  const forward = (sessionId: string, service: MasterServiceId) =>
    act(async () => {
      await client.call('sessions.forward', { sessionId, service });
      sessions.reload();
    });

  return (
    <section aria-label="SSH sessions and tunnels">
      <ErrorMessage error={error ?? clusters.error ?? sessions.error} />
      <section className="panel" aria-labelledby="clusters-title">
        <h2 id="clusters-title">EMR clusters in this environment</h2>
        <div className="row">
          <button type="button" onClick={clusters.reload}>
            Refresh clusters
          </button>
          <label>
            Through bastion (a Host of ~/.ssh/config, optional){' '}
            <input value={bastion} onChange={(e) => setBastion(e.target.value)} autoComplete="off" />
          </label>
        </div>
        <ul className="plain" aria-label="EMR clusters">
          {clusters.data?.map((cluster) => (
            <li key={cluster.id}>
              <strong>{cluster.name}</strong> <code>{cluster.id}</code> {cluster.state}{' '}
              <button type="button" aria-label={`Open SSH session to ${cluster.name}`} onClick={() => void open({ clusterId: cluster.id })}>
                Open SSH session
              </button>
            </li>
          ))}
          {clusters.data?.length === 0 && <li className="muted">No running EMR clusters.</li>}
        </ul>
        <form
          className="row"
          aria-label="Open bastion"
          onSubmit={(e) => {
            e.preventDefault();
            void open({ bastion: bastionHost });
          }}
        >
          <label>
            No EMR master? A bastion (a Host of ~/.ssh/config) for private Redshift{' '}
            <input value={bastionHost} onChange={(e) => setBastionHost(e.target.value)} autoComplete="off" />
          </label>
          <button type="submit">Open bastion session</button>
        </form>
      </section>

      {pending?.keyName && (
        <form
          className="panel"
          aria-label="Key pair file"
          onSubmit={(e) => {
            e.preventDefault();
            if (keyFile) void open(pending.opening, { keyFile: keyFile.ref });
          }}
        >
          <p>
            Which private key file belongs to key pair <code>{pending.keyName}</code>? It is remembered for this key pair.
          </p>
          <FileField
            label="Key file"
            purposes={['open-file']}
            title={`The private key of key pair ${pending.keyName}`}
            placeholder="keys/my-key.pem"
            value={keyFile}
            onChange={setKeyFile}
          />
          <button type="submit" disabled={!keyFile}>
            Connect
          </button>
        </form>
      )}
      {pending?.passphraseFor && (
        <form
          className="panel"
          aria-label="Key passphrase"
          onSubmit={(e) => {
            e.preventDefault();
            void open(pending.opening, { keyPassphrase: passphrase });
          }}
        >
          <p role={pending.passphraseFor.wrong ? 'alert' : undefined}>
            {pending.passphraseFor.wrong ? 'That passphrase did not open ' : 'The key file '}
            <code>{pending.passphraseFor.keyFile}</code>
            {pending.passphraseFor.wrong ? '; try again.' : ' is encrypted. Its passphrase is kept in memory for this session only.'}
          </p>
          <label>
            Passphrase <input type="password" value={passphrase} onChange={(e) => setPassphrase(e.target.value)} autoComplete="off" />
          </label>
          <button type="submit">Unlock and connect</button>
        </form>
      )}
      {pending?.question && (
        <div role="dialog" aria-modal="true" aria-labelledby="hostkey-title" className="panel">
          <h2 id="hostkey-title">Unknown host key</h2>
          <p>
            The host {pending.question.host}:{pending.question.port} presented a {pending.question.keyType} key with fingerprint{' '}
            <code>{pending.question.fingerprint}</code>. Trust it only if it is the fingerprint you expect; it will be remembered, and a
            different key later will be refused.
          </p>
          <button type="button" onClick={() => void open(pending.opening, { trustFingerprint: pending.question!.fingerprint })}>
            Trust and connect
          </button>{' '}
          <button type="button" onClick={() => setPending(undefined)}>
            Cancel
          </button>
        </div>
      )}

      <table className="table">
        <caption>SSH sessions to EMR masters and bastions, and the tunnels they carry.</caption>
        <thead>
          <tr>
            <th scope="col">Session</th>
            <th scope="col">Tunnels</th>
            <th scope="col">Actions</th>
          </tr>
        </thead>
        <tbody>
          {sessions.data?.map((session) => {
            const label = sessionLabel(session);
            return (
              <tr key={session.id}>
                <th scope="row">
                  {session.user}@{session.host}:{session.port} ({session.kind === 'bastion' ? `bastion ${label}` : label})
                  {session.via ? ` via ${session.via}` : ''} · {session.state}
                </th>
                <td>
                  <ul className="plain" aria-label={`Tunnels of ${label}`}>
                    {session.tunnels.map((tunnel) => (
                      <li key={tunnel.id}>
                        {tunnel.name}: 127.0.0.1:{tunnel.localPort} → {tunnel.remotePort} · {tunnel.state} · {tunnel.bytesIn}/
                        {tunnel.bytesOut} B{tunnel.latencyMs !== undefined ? ` · ${tunnel.latencyMs} ms` : ''}
                        {tunnel.url && (
                          <>
                            {' '}
                            <a href={tunnel.url} target="_blank" rel="noreferrer">
                              Open
                            </a>
                          </>
                        )}
                      </li>
                    ))}
                  </ul>
                  {session.kind === 'master' && (
                    <div className="row">
                      {(Object.keys(masterServices) as MasterServiceId[]).map((service) => (
                        <button key={service} type="button" onClick={() => void forward(session.id, service)}>
                          Tunnel {masterServices[service].name}
                        </button>
                      ))}
                    </div>
                  )}
                  <form
                    className="row"
                    aria-label={`Redshift through ${label}`}
                    onSubmit={(e) => {
                      e.preventDefault();
                      void act(async () => {
                        await client.call('sessions.forwardRedshift', { sessionId: session.id, clusterIdentifier: redshiftId });
                        sessions.reload();
                      });
                    }}
                  >
                    <label>
                      Redshift cluster <input value={redshiftId} onChange={(e) => setRedshiftId(e.target.value)} autoComplete="off" />
                    </label>
                    <button type="submit">Tunnel through {session.kind === 'master' ? 'the master' : 'the bastion'}</button>
                  </form>
                </td>
                <td>
                  <button type="button" onClick={() => openTerminal(session.id, label)}>
                    New terminal
                  </button>{' '}
                  <button
                    type="button"
                    onClick={() =>
                      void act(async () => {
                        sessions.set(await client.call('sessions.close', { id: session.id }));
                        setTerminals((all) => all.filter((t) => t.sessionId !== session.id));
                      })
                    }
                  >
                    Close session
                  </button>
                </td>
              </tr>
            );
          })}
          {sessions.data?.length === 0 && (
            <tr>
              <td colSpan={3} className="muted">
                No sessions are open.
              </td>
            </tr>
          )}
        </tbody>
      </table>
      {terminals.length > 0 && (
        <div className="panel">
          <div role="tablist" aria-label="Terminals" className="row">
            {terminals.map((t) => (
              <span key={t.key}>
                <button
                  type="button"
                  role="tab"
                  aria-selected={t.key === (activeTerminal ?? terminals.at(-1)?.key)}
                  onClick={() => setActiveTerminal(t.key)}
                >
                  {t.label}
                </button>
                <button type="button" aria-label={`Close ${t.label}`} onClick={() => closeTerminal(t.key)}>
                  ×
                </button>
              </span>
            ))}
          </div>
          {/* Every terminal stays mounted, so a hidden tab keeps its session and scrollback. */}
          {terminals.map((t) => (
            <div key={t.key} role="tabpanel" aria-label={t.label} hidden={t.key !== (activeTerminal ?? terminals.at(-1)?.key)}>
              <Terminal sessionId={t.sessionId} label={t.label} />
            </div>
          ))}
        </div>
      )}
    </section>
  );
}
