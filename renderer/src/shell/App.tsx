import { Suspense, useCallback, useEffect, useState } from 'react';
import type { AppEvent } from '../../../shared/contract';
import { useCall, useStream } from '../bridge/hooks';
import { ErrorMessage } from '../components/ErrorMessage';
import { HelpOverlay } from './HelpOverlay';
import { sections } from './sections';
import { SettingsProvider, useSettings } from './settings-context';
import { StatusBar, type Status } from './StatusBar';
import { shortcuts, type ShortcutAction } from './shortcuts';
import { useResolvedTheme } from './theme';

const SECTION_KEY = 'tributary.section';

export function App() {
  return (
    <SettingsProvider>
      <Shell />
    </SettingsProvider>
  );
}

function Shell() {
  const { settings, update } = useSettings();
  const theme = useResolvedTheme(settings?.theme);
  const info = useCall('app.info', {});
  const [current, setCurrent] = useState(() => sessionStorage.getItem(SECTION_KEY) ?? sections[0]!.id);
  const [helpOpen, setHelpOpen] = useState(false);
  const [status, setStatus] = useState<Status>({ environment: '', tunnels: 0, notices: 0 });

  const go = useCallback((id: string) => {
    setCurrent(id);
    sessionStorage.setItem(SECTION_KEY, id);
  }, []);

  const onEvent = useCallback((event: AppEvent) => {
    setStatus((s) =>
      event.type === 'environment'
        ? { ...s, environment: event.activeName }
        : event.type === 'tunnels'
          ? { ...s, tunnels: event.open }
          : { ...s, notices: event.count },
    );
  }, []);
  const lost = useStream('app.events', {}, onEvent);

  const run = useCallback(
    (action: ShortcutAction) => {
      if (action.kind === 'section') go(action.id);
      else if (action.kind === 'help') setHelpOpen(true);
      else if (action.kind === 'close') setHelpOpen(false);
      else void update({ theme: theme === 'dark' ? 'light' : 'dark' });
    },
    [go, theme, update],
  );

  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      const shortcut = shortcuts.find((s) => s.matches(event));
      if (!shortcut) return;
      event.preventDefault();
      run(shortcut.action);
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [run]);

  const section = sections.find((s) => s.id === current) ?? sections[0]!;
  const Content = section.component;

  return (
    <div className="app">
      <nav className="sidebar" aria-label="Sections">
        <div className="brand" aria-hidden="true">
          Tributary
        </div>
        <ul>
          {sections.map((s) => (
            <li key={s.id}>
              <button type="button" aria-current={s.id === section.id ? 'page' : undefined} onClick={() => go(s.id)}>
                {s.title}
              </button>
            </li>
          ))}
        </ul>
        <div className="sidebar-foot">
          <button type="button" onClick={() => setHelpOpen(true)}>
            Keyboard shortcuts
          </button>
          <button
            type="button"
            aria-label={`Switch to ${theme === 'dark' ? 'light' : 'dark'} theme`}
            onClick={() => run({ kind: 'theme' })}
          >
            {theme === 'dark' ? 'Light theme' : 'Dark theme'}
          </button>
        </div>
      </nav>
      <main className="content" aria-labelledby="section-title">
        {lost && (
          <div className="banner" role="alert">
            Disconnected from the Tributary host. {lost.message}{' '}
            <button type="button" onClick={() => location.reload()}>
              Reconnect
            </button>
          </div>
        )}
        <ErrorMessage error={info.error} />
        <header className="section-head">
          <h1 id="section-title">{section.title}</h1>
          <p className="muted">{section.purpose}</p>
        </header>
        <Suspense fallback={<p aria-busy="true">Loading…</p>}>
          <Content />
        </Suspense>
      </main>
      <StatusBar status={status} info={info.data} onShowNotices={() => go('settings')} />
      {helpOpen && <HelpOverlay onClose={() => setHelpOpen(false)} />}
    </div>
  );
}
