import { useEffect, useMemo, useState } from 'react';

/** The app's palette as values, for what draws on a canvas and cannot use CSS variables. */
export interface ThemeColors {
  theme: 'light' | 'dark';
  bg: string;
  bg2: string;
  fg: string;
  muted: string;
  border: string;
  accent: string;
  accentFg: string;
  fontFamily: string;
}

const currentTheme = (): 'light' | 'dark' => (document.documentElement.dataset.theme === 'dark' ? 'dark' : 'light');

function readColors(theme: 'light' | 'dark'): ThemeColors {
  const style = getComputedStyle(document.documentElement);
  const v = (name: string) => style.getPropertyValue(name).trim();
  return {
    theme,
    bg: v('--bg'),
    bg2: v('--bg-2'),
    fg: v('--fg'),
    muted: v('--muted'),
    border: v('--border'),
    accent: v('--accent'),
    accentFg: v('--accent-fg'),
    fontFamily: style.fontFamily,
  };
}

/** Follows the shell's `data-theme` (set from Settings or the OS), so canvases repaint on a theme switch. */
export function useThemeColors(): ThemeColors {
  const [theme, setTheme] = useState(currentTheme);
  useEffect(() => {
    const observer = new MutationObserver(() => setTheme(currentTheme()));
    observer.observe(document.documentElement, { attributes: true, attributeFilter: ['data-theme'] });
    return () => observer.disconnect();
  }, []);
  return useMemo(() => readColors(theme), [theme]);
}
