/** Saves a blob through an `<a download>` (a blob: URL, which the CSP's default leaves to the page itself). */
export function download(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  link.click();
  // The download has taken its own reference by the next task; revoking at once can cancel it in Chromium.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function dataUrlToBlob(dataUrl: string): Blob {
  const [head = '', body = ''] = dataUrl.split(',', 2);
  const type = /^data:([^;,]+)/.exec(head)?.[1] ?? 'application/octet-stream';
  const bytes = Uint8Array.from(atob(body), (c) => c.charCodeAt(0));
  return new Blob([bytes], { type });
}
