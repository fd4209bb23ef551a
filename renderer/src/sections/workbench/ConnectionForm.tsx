import { Fragment, useState } from 'react';
import { sessionLabel, type ConnectionInfo, type EngineField } from '../../../../shared/contract';
import { useClient } from '../../bridge/client-context';
import { useAction, useCall } from '../../bridge/hooks';
import { ErrorMessage } from '../../components/ErrorMessage';

/**
 * A new SQL connection for the active environment, drawn from the engines main
 * registers (their fields, row by row); the password goes to the main process's secret store.
 */
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
  const engines = useCall('connections.engines', {});
  const { error, act } = useAction();
  const [chosen, setChosen] = useState<string>();
  const [name, setName] = useState('');
  // One value per option name, kept across engines, so switching engines keeps what was typed.
  const [values, setValues] = useState<Record<string, string>>({});
  const engine = engines.data?.find((e) => e.kind === chosen) ?? engines.data?.[0];
  const fields = engine?.form.flat() ?? [];
  const value = (field: EngineField) =>
    values[field.name] ?? (field.type === 'text' || field.type === 'choice' ? field.default : undefined) ?? '';
  const valueOf = (option: string) => {
    const field = fields.find((f) => f.name === option);
    return field ? value(field) : '';
  };
  const shown = (field: EngineField) =>
    !(field.type === 'secret' || field.type === 'text') || !field.when || valueOf(field.when.field) === field.when.equals;
  const set = (option: string, next: string) => setValues((all) => ({ ...all, [option]: next }));

  const save = () =>
    act(async () => {
      if (!engine) return;
      const options: Record<string, unknown> = {};
      for (const field of fields.filter(shown)) {
        const given = value(field);
        if (field.type === 'route') options[field.name] = given ? { kind: 'session', sessionId: given } : { kind: 'direct' };
        else if (field.type !== 'secret' || given) options[field.name] = given;
      }
      const list = await client.call('connections.save', { name, environmentId, spec: { engine: engine.kind, ...options } });
      const secrets = new Set(fields.filter((f) => f.type === 'secret').map((f) => f.name));
      setValues((all) => Object.fromEntries(Object.entries(all).filter(([option]) => !secrets.has(option))));
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
          <select value={engine?.kind ?? ''} onChange={(e) => setChosen(e.target.value)}>
            {(engines.data ?? []).map((e) => (
              <option key={e.kind} value={e.kind}>
                {e.label}
              </option>
            ))}
          </select>
        </label>
      </div>
      {engine?.form.map((row, index) => {
        const inputs = row.filter(shown).map((field) => <Field key={field.name} field={field} value={value(field)} onChange={set} />);
        // An input alone stands on its own line, without a row around it.
        return row.length === 1 ? (
          <Fragment key={index}>{inputs}</Fragment>
        ) : (
          <div key={index} className="row">
            {inputs}
          </div>
        );
      })}
      <ErrorMessage error={error ?? engines.error} />
      <div className="row">
        <button type="submit">Save connection</button>
        <button type="button" onClick={onClose}>
          Close
        </button>
      </div>
    </form>
  );
}

/** One option's input, as its engine describes it. */
function Field({ field, value, onChange }: { field: EngineField; value: string; onChange: (option: string, value: string) => void }) {
  const change = (e: { target: { value: string } }) => onChange(field.name, e.target.value);
  switch (field.type) {
    case 'text':
      return (
        <label>
          {field.label} <input value={value} onChange={change} {...(field.placeholder ? { placeholder: field.placeholder } : {})} />
        </label>
      );
    case 'secret':
      return (
        <label>
          {field.label} <input type="password" autoComplete="off" value={value} onChange={change} />
        </label>
      );
    case 'choice':
      return (
        <label>
          {field.label}{' '}
          <select value={value} onChange={change}>
            {field.choices.map((c) => (
              <option key={c.value} value={c.value}>
                {c.label}
              </option>
            ))}
          </select>
        </label>
      );
    case 'route':
      return <RouteField label={field.label} value={value} onChange={change} />;
  }
}

/** Direct, or through one of the open SSH sessions (an EMR master or a bastion). */
function RouteField({ label, value, onChange }: { label: string; value: string; onChange: (e: { target: { value: string } }) => void }) {
  const sessions = useCall('sessions.list', {});
  return (
    <label>
      {label}{' '}
      <select value={value} onChange={onChange}>
        <option value="">Direct (publicly accessible)</option>
        {(sessions.data ?? []).map((s) => (
          <option key={s.id} value={s.id}>
            SSH session to {sessionLabel(s)}
          </option>
        ))}
      </select>
    </label>
  );
}
