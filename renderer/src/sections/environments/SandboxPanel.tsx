import { useCallback, useEffect, useState } from 'react';
import type { SandboxProgress, SandboxStatus } from '../../../../shared/contract';
import type { AppError } from '../../../../shared/errors';
import { useClient } from '../../bridge/client-context';
import { toAppError, useStreamAction } from '../../bridge/hooks';
import { ErrorMessage } from '../../components/ErrorMessage';

type StepProgress = Extract<SandboxProgress, { kind: 'step' }>;
type ServiceProgress = Extract<SandboxProgress, { kind: 'service' }>;

/** What a start has shown so far: its setup steps and each service's start. */
interface Launch {
  steps: StepProgress[];
  services: ServiceProgress[];
}

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;

/** The local sandbox: start (with setup the first time), health of each service, logs, stop and reset. */
export function SandboxPanel() {
  const client = useClient();
  const [status, setStatus] = useState<SandboxStatus>();
  const [error, setError] = useState<AppError>();
  const [stopping, setStopping] = useState<'stop' | 'reset'>();
  const [log, setLog] = useState<{ service: string; text: string }>();
  const [confirmReset, setConfirmReset] = useState('');

  const refresh = useCallback(() => {
    client.call('sandbox.status', {}).then(setStatus, (e: unknown) => setError(toAppError(e)));
  }, [client]);

  useEffect(() => {
    refresh();
    const timer = setInterval(refresh, 5000);
    return () => clearInterval(timer);
  }, [refresh]);

  const launch = useStreamAction<'sandbox.start', Launch>({
    reduce: (launch, progress) => {
      if (progress.kind === 'step') return { ...launch, steps: [...launch.steps.filter((s) => s.id !== progress.id), progress] };
      if (progress.kind === 'service') return { ...launch, services: [...launch.services.filter((s) => s.id !== progress.id), progress] };
      setStatus(progress.status);
      return launch;
    },
    onSettled: (_launch, failure) => {
      if (failure) setError(failure);
      refresh();
    },
    // Leaving the panel does not stop a start: the sandbox comes up all the same.
    onUnmount: 'continue',
  });
  const busy = launch.running ? 'start' : stopping;
  const steps = launch.state?.steps ?? [];
  const starting = launch.state?.services ?? [];

  const start = () => {
    setError(undefined);
    launch.start('sandbox.start', {}, { steps: [], services: [] });
  };

  const stopOrReset = async (what: 'stop' | 'reset') => {
    setStopping(what);
    try {
      setStatus(what === 'stop' ? await client.call('sandbox.stop', {}) : await client.call('sandbox.reset', { confirm: 'reset' }));
      setConfirmReset('');
      setError(undefined);
    } catch (caught) {
      setError(toAppError(caught));
    } finally {
      setStopping(undefined);
    }
  };

  const showLog = async (service: string) => {
    try {
      setLog({ service, text: await client.call('sandbox.log', { service, lines: 60 }) });
    } catch (caught) {
      setError(toAppError(caught));
    }
  };

  const state = busy === 'start' ? 'starting' : (status?.state ?? 'stopped');
  return (
    <section aria-labelledby="sandbox-title" className="panel">
      <h2 id="sandbox-title">Local sandbox</h2>
      <p>
        The whole pipeline on this machine, from real parts: an AWS API emulator, PostgreSQL behind a Redshift endpoint, an EMR master with
        Spark and SSH.
        {status &&
          !status.setUp &&
          ' The first start downloads about 600 MB (PySpark, the AWS emulator, Spark’s S3 and Derby jars); later starts take about 20 seconds.'}
      </p>
      <p>
        State: <strong aria-label="Sandbox state">{state}</strong>
        {status?.endpoint && (
          <>
            {' '}
            · AWS endpoint <code>{status.endpoint}</code>
          </>
        )}
      </p>
      <ErrorMessage error={error} />
      {status?.error && (
        <p role="alert" className="error">
          {status.error}
        </p>
      )}
      <div className="row">
        {busy === 'start' ? (
          <button type="button" onClick={launch.cancel}>
            Cancel start
          </button>
        ) : (
          <button type="button" disabled={!!busy || state === 'running'} onClick={start}>
            Start sandbox
          </button>
        )}
        <button type="button" disabled={!!busy || state !== 'running'} onClick={() => void stopOrReset('stop').then(start)}>
          Restart
        </button>
        <button type="button" disabled={!!busy || (state !== 'running' && state !== 'failed')} onClick={() => void stopOrReset('stop')}>
          Stop sandbox
        </button>
        <label>
          Type reset to delete all sandbox data{' '}
          <input value={confirmReset} onChange={(e) => setConfirmReset(e.target.value)} autoComplete="off" />
        </label>
        <button type="button" disabled={!!busy || confirmReset !== 'reset'} onClick={() => void stopOrReset('reset')}>
          Reset sandbox
        </button>
      </div>
      {(steps.length > 0 || starting.length > 0) && (
        <ul aria-label="Start progress" className="plain">
          {steps.map((step) => (
            <li key={step.id}>
              <strong>{step.label}</strong>: {step.state}
              {step.message ? ` · ${step.message}` : ''}
              {step.bytesTotal ? (
                <>
                  {' '}
                  <progress aria-label={`${step.label} download`} max={step.bytesTotal} value={step.bytesDone ?? 0} />{' '}
                  {mib(step.bytesDone ?? 0)} of {mib(step.bytesTotal)}
                </>
              ) : null}
            </li>
          ))}
          {starting.map((service) => (
            <li key={service.id}>
              {service.name}: {service.state}
              {service.port ? ` on 127.0.0.1:${service.port}` : ''}
            </li>
          ))}
        </ul>
      )}
      {status && status.services.length > 0 && (
        <table className="table" aria-label="Sandbox services">
          <thead>
            <tr>
              <th scope="col">Service</th>
              <th scope="col">Port</th>
              <th scope="col">Version</th>
              <th scope="col">Health</th>
              <th scope="col">Log</th>
            </tr>
          </thead>
          <tbody>
            {status.services.map((service) => (
              <tr key={service.id}>
                <th scope="row">{service.name}</th>
                <td>{service.port}</td>
                <td>{service.version}</td>
                <td>{service.state === 'running' ? 'ok' : service.state}</td>
                <td>
                  <button type="button" aria-label={`Show log of ${service.name}`} onClick={() => void showLog(service.id)}>
                    Log
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {log && (
        <pre className="log" role="log" aria-label={`Log of ${log.service}`}>
          {log.text || '(empty)'}
        </pre>
      )}
    </section>
  );
}
