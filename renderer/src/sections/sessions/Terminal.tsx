import { FitAddon } from '@xterm/addon-fit';
import { Terminal as XTerm } from '@xterm/xterm';
import '@xterm/xterm/css/xterm.css';
import { useEffect, useRef, useState } from 'react';
import type { AppError } from '../../../../shared/errors';
import { useClient } from '../../bridge/client-context';
import { toAppError } from '../../bridge/hooks';
import { ErrorMessage } from '../../components/ErrorMessage';

/** An interactive terminal on the master: xterm.js here, a PTY there, keystrokes and output over the one RPC channel. */
export function Terminal({ sessionId, label }: { sessionId: string; label: string }) {
  const client = useClient();
  const host = useRef<HTMLDivElement>(null);
  const [error, setError] = useState<AppError>();
  const [ended, setEnded] = useState<string>();

  useEffect(() => {
    if (!host.current) return;
    const dark = document.documentElement.dataset.theme === 'dark';
    const term = new XTerm({
      scrollback: 5000,
      convertEol: false,
      fontSize: 13,
      theme: dark ? { background: '#16191f' } : { background: '#ffffff', foreground: '#1d2330', cursor: '#1d2330' },
    });
    const fit = new FitAddon();
    term.loadAddon(fit);
    term.open(host.current);
    fit.fit();
    let terminalId: string | undefined;
    const handle = client.stream(
      'sessions.terminal',
      { sessionId, cols: term.cols, rows: term.rows },
      {
        onChunk: (chunk) => {
          if (chunk.kind === 'opened') terminalId = chunk.terminalId;
          else if (chunk.kind === 'output') term.write(chunk.data);
          else setEnded(`Exited${chunk.code === null ? '' : ` with code ${chunk.code}`}.`);
        },
      },
    );
    handle.done.catch((caught: unknown) => {
      const appError = toAppError(caught);
      if (appError.code !== 'CANCELLED') setError(appError);
    });
    const typing = term.onData((data) => {
      if (terminalId) client.call('sessions.terminalInput', { terminalId, data }).catch((caught: unknown) => setError(toAppError(caught)));
    });
    const resizing = term.onResize(({ cols, rows }) => {
      if (terminalId) void client.call('sessions.terminalResize', { terminalId, cols, rows }).catch(() => undefined);
    });
    const observer = new ResizeObserver(() => fit.fit());
    observer.observe(host.current);
    term.focus();
    return () => {
      observer.disconnect();
      typing.dispose();
      resizing.dispose();
      handle.cancel();
      term.dispose();
    };
  }, [client, sessionId]);

  return (
    <div className="terminal-wrap">
      <ErrorMessage error={error} />
      {ended && <p className="muted">{ended}</p>}
      <div ref={host} className="terminal" role="region" aria-label={label} />
    </div>
  );
}
