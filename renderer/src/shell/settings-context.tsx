import { createContext, useCallback, useContext, useState, type ReactNode } from 'react';
import type { Settings } from '../../../shared/contract';
import type { AppError } from '../../../shared/errors';
import { useClient } from '../bridge/client-context';
import { toAppError, useCall } from '../bridge/hooks';

interface SettingsApi {
  settings: Settings | undefined;
  /** Saves a change; resolves to the error shown to the user, if any. */
  update: (patch: Partial<Settings>) => Promise<AppError | undefined>;
  error: AppError | undefined;
}

const SettingsContext = createContext<SettingsApi | null>(null);

export function SettingsProvider({ children }: { children: ReactNode }) {
  const client = useClient();
  const loaded = useCall('settings.get', {});
  const [error, setError] = useState<AppError>();
  const { set } = loaded;
  const update = useCallback(
    async (patch: Partial<Settings>) => {
      try {
        set(await client.call('settings.update', { patch }));
        setError(undefined);
        return undefined;
      } catch (caught) {
        const appError = toAppError(caught);
        setError(appError);
        return appError;
      }
    },
    [client, set],
  );
  return (
    <SettingsContext.Provider value={{ settings: loaded.data, update, error: error ?? loaded.error }}>{children}</SettingsContext.Provider>
  );
}

export function useSettings(): SettingsApi {
  const api = useContext(SettingsContext);
  if (!api) throw new Error('useSettings outside SettingsProvider');
  return api;
}
