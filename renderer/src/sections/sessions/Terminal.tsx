import { FitAddon } from '@xterm/addon-fit';
import { Terminal as XTerm } from '@xterm/xterm';
import '@xterm/xterm/css/xterm.css';
import { useEffect, useRef, useState } from 'react';
import type { AppError } from '../../../../shared/errors';
import { useClient } from '../../bridge/client-context';
import { toAppError, useStreamAction } from '../../bridge/hooks';
import { ErrorMessage } from '../../components/ErrorMessage';

/** An interactive terminal on the master: xterm.js here, a PTY there, keystrokes and output over the one RPC channel. */
export function Terminal({ sessionId, label }: { sessionId: string; label: string }) {
  const client = useClient();
  const host = useRef<HTMLDivElement>(null);
  const [inputError, setInputError] = useState<AppError>();
  // The PTY's output goes straight to the xterm, and its id to the keystrokes: both live as long as the effect that opened them.
  const pty = useRef<{ screen: XTerm; terminalId?: string }>(undefined);
  const {
    state,
    error: streamError,
    start,
    cancel,
  } = useStreamAction<'sessions.terminal', { ended?: string }>({
    reduce: (shown, chunk) => {
      if (chunk.kind === 'opened') pty.current = pty.current && { ...pty.current, terminalId: chunk.terminalId };
      else if (chunk.kind === 'output') pty.current?.screen.write(chunk.data);
      else return { ended: `Exited${chunk.code === null ? '' : ` with code ${chunk.code}`}.` };
      return shown;
    },
  });
  const error = streamError ?? inputError;
  const ended = state?.ended;

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
    pty.current = { screen: term };
    start('sessions.terminal', { sessionId, cols: term.cols, rows: term.rows }, {});
    const typing = term.onData((data) => {
      const terminalId = pty.current?.terminalId;
      if (terminalId)
        client.call('sessions.terminalInput', { terminalId, data }).catch((caught: unknown) => setInputError(toAppError(caught)));
    });
    const resizing = term.onResize(({ cols, rows }) => {
      const terminalId = pty.current?.terminalId;
      if (terminalId) void client.call('sessions.terminalResize', { terminalId, cols, rows }).catch(() => undefined);
    });
    const observer = new ResizeObserver(() => fit.fit());
    observer.observe(host.current);
    term.focus();
    return () => {
      observer.disconnect();
      typing.dispose();
      resizing.dispose();
      cancel();
      pty.current = undefined;
      term.dispose();
    };
  }, [client, sessionId, start, cancel]);

  return (
    <div className="terminal-wrap">
      <ErrorMessage error={error} />
      {ended && <p className="muted">{ended}</p>}
      <div ref={host} className="terminal" role="region" aria-label={label} />
    </div>
  );
}
