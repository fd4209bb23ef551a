import { useState } from 'react';
import type { AppError } from '../../../shared/errors';
import { useClient } from '../bridge/client-context';
import { toAppError, useCall } from '../bridge/hooks';
import { ErrorMessage } from '../components/ErrorMessage';
import { SandboxPanel } from './environments/SandboxPanel';

export default function Environments() {
  const client = useClient();
  const list = useCall('environments.list', {});
  const [error, setError] = useState<AppError>();

  const select = async (id: string) => {
    try {
      list.set(await client.call('environments.select', { id }));
      setError(undefined);
    } catch (caught) {
      setError(toAppError(caught));
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
          </tr>
        </thead>
        <tbody>
          {list.data?.environments.map((env) => {
            const active = env.id === list.data?.activeId;
            return (
              <tr key={env.id} aria-current={active ? 'true' : undefined}>
                <th scope="row">{env.name}</th>
                <td>{env.kind === 'sandbox' ? 'Local sandbox' : 'AWS'}</td>
                <td>{env.region}</td>
                <td>
                  {active ? (
                    <span className="badge">Active</span>
                  ) : (
                    <button type="button" onClick={() => void select(env.id)} aria-label={`Make ${env.name} active`}>
                      Make active
                    </button>
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <SandboxPanel />
    </section>
  );
}
