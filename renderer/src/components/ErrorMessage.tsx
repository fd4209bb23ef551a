import type { AppError } from '../../../shared/errors';

/** How any failed operation is shown: the code, the message, and each invalid field. */
export function ErrorMessage({ error, onDismiss }: { error: AppError | undefined; onDismiss?: () => void }) {
  if (!error) return null;
  return (
    <div className="error" role="alert">
      <strong>{error.code === 'VALIDATION' ? 'Invalid input' : 'Error'}</strong> <span className="muted">({error.code})</span>
      <p>{error.message}</p>
      {error.issues && error.issues.length > 1 && (
        <ul>
          {error.issues.map((issue, index) => (
            <li key={index}>
              {issue.path ? <code>{issue.path}</code> : null} {issue.message}
            </li>
          ))}
        </ul>
      )}
      {onDismiss && (
        <button type="button" onClick={onDismiss}>
          Dismiss
        </button>
      )}
    </div>
  );
}
