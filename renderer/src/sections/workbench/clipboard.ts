import type { Cell } from '../../../../shared/contract/operations/workbench';

/** One TSV field as spreadsheets read it: NULL is empty; tabs, line breaks and quotes force quoting. */
function tsvField(cell: Cell): string {
  if (cell === null) return '';
  return /[\t\r\n"]/.test(cell) ? `"${cell.replaceAll('"', '""')}"` : cell;
}

export function toTsv(rows: Cell[][], header?: string[]): string {
  const lines = header ? [header.map(tsvField)] : [];
  for (const row of rows) lines.push(row.map(tsvField));
  return lines.map((fields) => fields.join('\t')).join('\n');
}

/**
 * The async Clipboard API first (the web host); when it is refused (Electron's
 * session denies every permission, clipboard-sanitized-write included) the
 * copy-event path, which needs no permission while the user's gesture lasts.
 */
export async function writeClipboard(text: string): Promise<void> {
  try {
    await navigator.clipboard.writeText(text);
    return;
  } catch {
    // fall through to the copy event
  }
  let written = false;
  const onCopy = (event: ClipboardEvent) => {
    event.clipboardData?.setData('text/plain', text);
    event.preventDefault();
    // Capture on document, before React's root listener, so the grid's own copy handler does not answer it.
    event.stopImmediatePropagation();
    written = true;
  };
  document.addEventListener('copy', onCopy, { capture: true });
  try {
    document.execCommand('copy');
  } finally {
    document.removeEventListener('copy', onCopy, { capture: true });
  }
  if (!written) throw new Error('The clipboard refused the text; select fewer rows and copy again.');
}
