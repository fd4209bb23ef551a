import { sections } from './sections';

export interface Shortcut {
  keys: string;
  does: string;
  matches: (event: KeyboardEvent) => boolean;
}

export type ShortcutAction = { kind: 'section'; id: string } | { kind: 'help' } | { kind: 'theme' } | { kind: 'close' };

const isMac = typeof navigator !== 'undefined' && /Mac/.test(navigator.platform);
export const modKey = isMac ? 'Cmd' : 'Ctrl';
const mod = (event: KeyboardEvent) => (isMac ? event.metaKey : event.ctrlKey);

function typing(event: KeyboardEvent): boolean {
  const target = event.target as HTMLElement | null;
  return (
    !!target && (target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName) || !!target.closest('.monaco-editor'))
  );
}

/** Declared once: the key handler and the help overlay both read this table. */
export const shortcuts: (Shortcut & { action: ShortcutAction })[] = [
  ...sections.map((section, index) => ({
    keys: `${modKey}+${index + 1}`,
    does: `Go to ${section.title}`,
    matches: (e: KeyboardEvent) => mod(e) && !e.shiftKey && !e.altKey && e.key === String(index + 1),
    action: { kind: 'section' as const, id: section.id },
  })),
  {
    keys: `F1 or ? or ${modKey}+/`,
    does: 'Show keyboard shortcuts',
    matches: (e) => e.key === 'F1' || (mod(e) && e.key === '/') || (e.key === '?' && !typing(e)),
    action: { kind: 'help' },
  },
  {
    keys: `${modKey}+Shift+L`,
    does: 'Switch between light and dark theme',
    matches: (e) => mod(e) && e.shiftKey && e.key.toLowerCase() === 'l',
    action: { kind: 'theme' },
  },
  { keys: 'Esc', does: 'Close the open dialog', matches: (e) => e.key === 'Escape', action: { kind: 'close' } },
];
