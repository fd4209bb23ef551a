import { useCallback, useState, type FormEvent } from 'react';
import { USER_SECRET_PREFIX, type AppEvent, type LogLine, type Settings as SettingsShape } from '../../../shared/contract';
import type { AppError } from '../../../shared/errors';
import { useClient } from '../bridge/client-context';
import { toAppError, useCall, useStream } from '../bridge/hooks';
import { ErrorMessage } from '../components/ErrorMessage';
import { useSettings } from '../shell/settings-context';

export default function Settings() {
  return (
    <div className="settings">
      <Notices />
      <Appearance />
      <Secrets />
      <DataLocation />
      <LogView />
    </div>
  );
}

function Notices() {
  const client = useClient();
  const notices = useCall('app.notices', {});
  const { reload } = notices;
  const onEvent = useCallback((event: AppEvent) => event.type === 'notices' && reload(), [reload]);
  useStream('app.events', {}, onEvent);
  if (!notices.data?.length) return null;
  return (
    <section aria-labelledby="notices-title" className="panel">
      <h2 id="notices-title">Notices</h2>
      <ul className="notices">
        {notices.data.map((notice) => (
          <li key={notice.id} data-level={notice.level}>
            <strong>{notice.title}</strong>
            <p>{notice.detail}</p>
            <button type="button" onClick={() => void client.call('app.dismissNotice', { id: notice.id }).then(notices.set)}>
              Dismiss
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}

function NumberSetting({
  label,
  field,
  value,
  min,
  max,
  onSave,
}: {
  label: string;
  field: keyof SettingsShape;
  value: number;
  min: number;
  max: number;
  onSave: (patch: Partial<SettingsShape>) => void;
}) {
  const [text, setText] = useState(String(value));
  return (
    <label>
      {label}{' '}
      <input
        type="number"
        min={min}
        max={max}
        value={text}
        onChange={(e) => setText(e.target.value)}
        onBlur={() => onSave({ [field]: text === '' ? Number.NaN : Number(text) })}
      />
    </label>
  );
}

function Appearance() {
  const { settings, update, error } = useSettings();
  if (!settings) return <ErrorMessage error={error} />;
  const save = (patch: Partial<SettingsShape>) => void update(patch);
  return (
    <section aria-labelledby="appearance-title" className="panel">
      <h2 id="appearance-title">Appearance and behaviour</h2>
      <ErrorMessage error={error} />
      <fieldset>
        <legend>Theme</legend>
        {(['system', 'light', 'dark'] as const).map((theme) => (
          <label key={theme}>
            <input type="radio" name="theme" value={theme} checked={settings.theme === theme} onChange={() => save({ theme })} />{' '}
            {theme[0]!.toUpperCase() + theme.slice(1)}
          </label>
        ))}
      </fieldset>
      <NumberSetting label="Editor font size" field="editorFontSize" value={settings.editorFontSize} min={8} max={32} onSave={save} />
      <NumberSetting
        label="Close unused tunnels after (minutes, 0 = never)"
        field="tunnelIdleMinutes"
        value={settings.tunnelIdleMinutes}
        min={0}
        max={1440}
        onSave={save}
      />
    </section>
  );
}

function Secrets() {
  const client = useClient();
  const info = useCall('app.info', {});
  const secrets = useCall('secrets.list', {});
  const [name, setName] = useState('');
  const [value, setValue] = useState('');
  const [error, setError] = useState<AppError>();

  const store = async (event: FormEvent) => {
    event.preventDefault();
    try {
      secrets.set(await client.call('secrets.set', { name: `${USER_SECRET_PREFIX}${name}`, value }));
      setName('');
      setValue('');
      setError(undefined);
    } catch (caught) {
      setError(toAppError(caught));
    }
  };

  const where = info.data
    ? info.data.secretBackend === 'electron-safe-storage'
      ? 'encrypted with the operating system’s key store (Electron safeStorage).'
      : info.data.secretBackend === 'os-keyring'
        ? 'in the operating system’s keyring.'
        : 'in memory only: no OS keyring is available, so they are gone when Tributary quits.'
    : '';

  return (
    <section aria-labelledby="secrets-title" className="panel">
      <h2 id="secrets-title">Secrets</h2>
      <p>Passwords and keys are kept by the Tributary host, {where} Once stored, a value is never shown again.</p>
      <ErrorMessage error={error ?? secrets.error} />
      <form onSubmit={(e) => void store(e)} className="row">
        <label>
          Name <code>{USER_SECRET_PREFIX}</code>
          <input value={name} onChange={(e) => setName(e.target.value)} autoComplete="off" />
        </label>
        <label>
          Value <input type="password" value={value} onChange={(e) => setValue(e.target.value)} autoComplete="new-password" />
        </label>
        <button type="submit">Store secret</button>
      </form>
      <ul aria-label="Stored secrets" className="plain">
        {secrets.data?.map((secret) => (
          <li key={secret.name}>
            <code>{secret.name}</code>{' '}
            {secret.name.startsWith(USER_SECRET_PREFIX) ? (
              <button
                type="button"
                aria-label={`Forget ${secret.name}`}
                onClick={() =>
                  void client.call('secrets.delete', { name: secret.name }).then(secrets.set, (e: unknown) => setError(toAppError(e)))
                }
              >
                Forget
              </button>
            ) : (
              <span className="muted">kept by its environment or connection</span>
            )}
          </li>
        ))}
        {secrets.data?.length === 0 && <li className="muted">No secrets stored.</li>}
      </ul>
    </section>
  );
}

function DataLocation() {
  const info = useCall('app.info', {});
  if (!info.data) return null;
  return (
    <section aria-labelledby="data-title" className="panel">
      <h2 id="data-title">Data</h2>
      <p>
        Settings, environments and history live in <code>{info.data.dataDir}</code>, written atomically. A file that cannot be read is kept
        aside as a <code>.corrupt-…</code> copy and reported under Notices.
      </p>
      {info.data.files.kind === 'workspace' ? (
        <p>
          Files you upload, replay, download, export or log in with are read and written only in the workspace folder{' '}
          <code>{info.data.files.root}</code> (start the app with <code>--workspace</code> to choose another).
        </p>
      ) : (
        <p>Files you upload, replay, download, export or log in with are the ones you pick in the file dialog, and only for that use.</p>
      )}
    </section>
  );
}

const MAX_LOG_LINES = 500;

function LogView() {
  const [lines, setLines] = useState<LogLine[]>([]);
  const onLine = useCallback((line: LogLine) => setLines((current) => [...current.slice(-(MAX_LOG_LINES - 1)), line]), []);
  const error = useStream('logs.follow', { backlog: 200 }, onLine);
  return (
    <section aria-labelledby="log-title" className="panel">
      <h2 id="log-title">App log</h2>
      <ErrorMessage error={error} />
      <pre className="log" role="log" aria-label="App log lines">
        {lines.map((line) => `${line.at.slice(11, 19)} ${line.level.padEnd(5)} [${line.scope}] ${line.message}\n`).join('')}
      </pre>
    </section>
  );
}
