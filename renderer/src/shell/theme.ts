import { useEffect, useState } from 'react';
import type { Settings } from '../../../shared/contract';

const dark = typeof matchMedia === 'function' ? matchMedia('(prefers-color-scheme: dark)') : undefined;

/** The theme actually shown: the setting, or the OS preference when the setting is "system". */
export function useResolvedTheme(setting: Settings['theme'] | undefined): 'light' | 'dark' {
  const [systemDark, setSystemDark] = useState(dark?.matches ?? false);
  useEffect(() => {
    const onChange = (event: MediaQueryListEvent) => setSystemDark(event.matches);
    dark?.addEventListener('change', onChange);
    return () => dark?.removeEventListener('change', onChange);
  }, []);
  const resolved = setting === 'light' || setting === 'dark' ? setting : systemDark ? 'dark' : 'light';
  useEffect(() => {
    document.documentElement.dataset.theme = resolved;
  }, [resolved]);
  return resolved;
}
