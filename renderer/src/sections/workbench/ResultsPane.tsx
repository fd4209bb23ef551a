import { lazy, Suspense, useId, useRef, useState, type KeyboardEvent } from 'react';
import type { z } from 'zod';
import type { ChartSpec, results } from '../../../../shared/contract/operations/workbench';
import { formatCount, type GridSource } from './grid-source';
import { ResultGrid } from './ResultGrid';

// ECharts is needed only once the Chart tab opens.
const ResultChart = lazy(() => import('./ResultChart').then((module) => ({ default: module.ResultChart })));

export type ExportFormat = z.input<typeof results.export.input>['format'];

const formats: { id: ExportFormat; label: string }[] = [
  { id: 'csv', label: 'CSV' },
  { id: 'jsonl', label: 'JSON Lines' },
  { id: 'parquet', label: 'Parquet' },
];

type Tab = 'grid' | 'chart';
const tabs: { id: Tab; label: string }[] = [
  { id: 'grid', label: 'Grid' },
  { id: 'chart', label: 'Chart' },
];

export interface ResultsPaneProps {
  /** Key the pane by result id: a new result starts with a fresh cache, sort and filter. */
  source: GridSource;
  chart: ChartSpec | undefined;
  onChartChange(spec: ChartSpec): void;
  onExport(format: ExportFormat): void;
  exportProgress?: { rows: number; total: number; path: string };
  onCancelExport?(): void;
}

export function ResultsPane({ source, chart, onChartChange, onExport, exportProgress, onCancelExport }: ResultsPaneProps) {
  const id = useId();
  const [tab, setTab] = useState<Tab>('grid');
  const [menuOpen, setMenuOpen] = useState(false);
  const menuButton = useRef<HTMLButtonElement>(null);
  const tabRefs = useRef<Partial<Record<Tab, HTMLButtonElement | null>>>({});

  const onTabKey = (event: KeyboardEvent) => {
    if (event.key !== 'ArrowLeft' && event.key !== 'ArrowRight') return;
    const next: Tab = tab === 'grid' ? 'chart' : 'grid';
    setTab(next);
    tabRefs.current[next]?.focus();
  };

  const closeMenu = () => {
    setMenuOpen(false);
    menuButton.current?.focus();
  };
  const onMenuKey = (event: KeyboardEvent<HTMLUListElement>) => {
    const items = [...event.currentTarget.querySelectorAll<HTMLButtonElement>('[role="menuitem"]')];
    const at = items.indexOf(document.activeElement as HTMLButtonElement);
    if (event.key === 'Escape') closeMenu();
    else if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      event.preventDefault();
      items[(at + (event.key === 'ArrowDown' ? 1 : items.length - 1)) % items.length]?.focus();
    }
  };

  return (
    <section className="results-pane" aria-label="Result">
      <div className="results-pane-head">
        <div role="tablist" aria-label="Result views" onKeyDown={onTabKey}>
          {tabs.map((t) => (
            <button
              key={t.id}
              type="button"
              role="tab"
              id={`${id}-tab-${t.id}`}
              aria-selected={tab === t.id}
              aria-controls={`${id}-panel-${t.id}`}
              tabIndex={tab === t.id ? 0 : -1}
              ref={(el) => {
                tabRefs.current[t.id] = el;
              }}
              onClick={() => setTab(t.id)}
            >
              {t.label}
            </button>
          ))}
        </div>
        <span className="spacer" />
        {exportProgress && (
          <div className="export-progress" role="status" aria-label="Export progress">
            <progress value={exportProgress.rows} max={Math.max(exportProgress.total, 1)} />
            <span title={exportProgress.path}>
              {formatCount(exportProgress.rows)} of {formatCount(exportProgress.total)} rows to {exportProgress.path}
            </span>
            {onCancelExport && (
              <button type="button" onClick={onCancelExport}>
                Cancel export
              </button>
            )}
          </div>
        )}
        <div className="menu-wrap">
          <button
            ref={menuButton}
            type="button"
            aria-haspopup="menu"
            aria-expanded={menuOpen}
            disabled={exportProgress !== undefined}
            onClick={() => setMenuOpen((open) => !open)}
          >
            Export ▾
          </button>
          {menuOpen && (
            <ul
              className="menu"
              role="menu"
              aria-label="Export the whole result"
              onKeyDown={onMenuKey}
              onBlur={(e) => {
                if (!e.currentTarget.contains(e.relatedTarget as Node | null) && e.relatedTarget !== menuButton.current) setMenuOpen(false);
              }}
            >
              {formats.map((f, i) => (
                <li key={f.id} role="none">
                  <button
                    type="button"
                    role="menuitem"
                    autoFocus={i === 0}
                    onClick={() => {
                      closeMenu();
                      onExport(f.id);
                    }}
                  >
                    {f.label}
                  </button>
                </li>
              ))}
            </ul>
          )}
        </div>
      </div>
      <div id={`${id}-panel-grid`} role="tabpanel" aria-labelledby={`${id}-tab-grid`} className="results-panel" hidden={tab !== 'grid'}>
        <ResultGrid source={source} />
      </div>
      {tab === 'chart' && (
        <div id={`${id}-panel-chart`} role="tabpanel" aria-labelledby={`${id}-tab-chart`} className="results-panel">
          <Suspense fallback={<p className="muted">Loading charts…</p>}>
            <ResultChart source={source} value={chart} onChange={onChartChange} />
          </Suspense>
        </div>
      )}
    </section>
  );
}
