/** Formatting shared by the Provision section's wizards and inventory. */

export function formatUsd(value: number): string {
  if (!Number.isFinite(value)) return '—';
  if (value === 0) return '$0.00';
  if (Math.abs(value) < 0.01) return `$${value.toFixed(4)}`;
  if (Math.abs(value) < 10) return `$${value.toFixed(3)}`;
  return `$${value.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
}

export function formatDuration(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms) || ms < 0) return '—';
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${String(s % 60).padStart(2, '0')} s`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h} h ${String(m % 60).padStart(2, '0')} min`;
  return `${Math.floor(h / 24)} d ${h % 24} h`;
}

/** Reads a dotted path out of a plain object. */
export function getPath(source: unknown, path: string): unknown {
  let value: unknown = source;
  for (const key of path.split('.')) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

/** A copy of `source` with the dotted path set (undefined removes the key). */
export function setPath<T>(source: T, path: string, next: unknown): T {
  const [head, ...rest] = path.split('.');
  const object = { ...(source as Record<string, unknown>) };
  if (rest.length === 0) {
    if (next === undefined) delete object[head!];
    else object[head!] = next;
  } else {
    const inner = object[head!];
    object[head!] = setPath(inner && typeof inner === 'object' ? inner : {}, rest.join('.'), next);
  }
  return object as T;
}
