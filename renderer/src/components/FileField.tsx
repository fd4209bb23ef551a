import { useState } from 'react';
import type { ChooseFile, ChosenFile, FileNaming } from '../../../shared/contract';
import type { AppError } from '../../../shared/errors';
import { useClient } from '../bridge/client-context';
import { toAppError, useCall } from '../bridge/hooks';
import { ErrorMessage } from './ErrorMessage';

/** A file as a form holds it: what to send (`ref`: a chosen file's handle, or a typed workspace path) and what to show. */
export type FileChoice = ChosenFile;

/**
 * How this host names files, and its dialog. On the desktop app the main process shows the dialog and hands
 * back a handle: the window never sees, nor sends, a path. On the web host files are typed paths in the workspace.
 */
export function useFiles(): { naming: FileNaming | undefined; choose: (request: ChooseFile) => Promise<FileChoice | null> } {
  const client = useClient();
  const naming = useCall('app.info', {}).data?.files;
  return { naming, choose: (request) => client.call('files.choose', request) };
}

interface FileFieldProps {
  label: string;
  /** What the dialog may pick: one button each (a replay takes a file or a folder). */
  purposes: readonly ChooseFile['purpose'][];
  /** The dialog's title. */
  title: string;
  suggestedName?: string;
  placeholder?: string;
  value: FileChoice | undefined;
  onChange: (value: FileChoice | undefined) => void;
}

const buttonText: Record<ChooseFile['purpose'], string> = {
  'open-file': 'Choose file…',
  'open-folder': 'Choose folder…',
  save: 'Save as…',
};

/** One file in a form: a path typed in the workspace (web host), or picked in the desktop app's own dialog. */
export function FileField({ label, purposes, title, suggestedName, placeholder, value, onChange }: FileFieldProps) {
  const { naming, choose } = useFiles();
  const [error, setError] = useState<AppError>();
  if (naming?.kind === 'dialog') {
    return (
      <div className="file-field" role="group" aria-label={label}>
        <span className="file-field-label">{label}</span>
        <div className="file-field-choice">
          {value ? <code title={value.name}>{value.name}</code> : <span className="muted">none chosen</span>}
          {purposes.map((purpose) => (
            <button
              key={purpose}
              type="button"
              onClick={() => {
                setError(undefined);
                choose({ purpose, title, ...(suggestedName ? { suggestedName } : {}) }).then(
                  (chosen) => chosen && onChange(chosen),
                  (caught: unknown) => setError(toAppError(caught)),
                );
              }}
            >
              {buttonText[purpose]}
            </button>
          ))}
        </div>
        <ErrorMessage error={error} />
      </div>
    );
  }
  return (
    <label>
      <span>
        {label} <span className="muted">(in {naming?.root ?? 'the workspace'})</span>
      </span>
      <input
        value={value?.ref ?? ''}
        onChange={(e) => onChange(e.target.value ? { ref: e.target.value, name: e.target.value } : undefined)}
        placeholder={placeholder}
        spellCheck={false}
        className="wide"
      />
    </label>
  );
}
