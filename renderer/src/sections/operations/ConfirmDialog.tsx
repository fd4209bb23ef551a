import { useEffect, useRef, type ReactNode } from 'react';

/** Asks before an action that stops someone's work; Escape or the second button keeps things as they are. */
export function ConfirmDialog({
  title,
  children,
  confirmLabel,
  keepLabel,
  onConfirm,
  onClose,
}: {
  title: string;
  children: ReactNode;
  confirmLabel: string;
  keepLabel: string;
  onConfirm: () => void;
  onClose: () => void;
}) {
  const keep = useRef<HTMLButtonElement>(null);
  // The safe answer has the focus, so a stray Enter stops nothing.
  useEffect(() => keep.current?.focus(), []);
  return (
    <div className="overlay">
      <div
        className="dialog"
        role="dialog"
        aria-modal="true"
        aria-labelledby="confirm-title"
        onKeyDown={(e) => e.key === 'Escape' && onClose()}
      >
        <h2 id="confirm-title">{title}</h2>
        {children}
        <div className="row">
          <button type="button" className="danger" onClick={onConfirm}>
            {confirmLabel}
          </button>
          <button type="button" ref={keep} onClick={onClose}>
            {keepLabel}
          </button>
        </div>
      </div>
    </div>
  );
}
