import type { AppInfo } from '../../../shared/contract';

export interface Status {
  environment: string;
  tunnels: number;
  notices: number;
}

export function StatusBar({ status, info, onShowNotices }: { status: Status; info: AppInfo | undefined; onShowNotices: () => void }) {
  return (
    <footer className="statusbar" aria-label="Status bar">
      <span aria-label="Active environment">
        Environment: <strong>{status.environment || '…'}</strong>
      </span>
      <span aria-label="Open tunnels">
        Tunnels: <strong>{status.tunnels}</strong> open
      </span>
      {status.notices > 0 && (
        <button type="button" className="link" onClick={onShowNotices}>
          {status.notices} notice{status.notices === 1 ? '' : 's'}
        </button>
      )}
      <span className="spacer" />
      {info && (
        <span aria-label="Host">
          {info.host === 'electron' ? 'Desktop' : 'Web host'} · v{info.version}
        </span>
      )}
    </footer>
  );
}
