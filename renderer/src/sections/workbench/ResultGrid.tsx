// Over ~400 lines on purpose: keyboard, selection, copy, sort and the cell detail are handlers of one DataEditor and
// its one row cache; split apart they would pass that cache around.
import '@glideapps/glide-data-grid/dist/index.css';
import {
  CompactSelection,
  DataEditor,
  GridCellKind,
  type DataEditorRef,
  type GridCell,
  type GridColumn,
  type GridKeyEventArgs,
  type GridSelection,
  type HeaderClickedEventArgs,
  type Item,
  type Rectangle,
  type Theme,
} from '@glideapps/glide-data-grid';
import {
  useCallback,
  useEffect,
  useId,
  useMemo,
  useRef,
  useState,
  type ClipboardEvent as ReactClipboardEvent,
  type KeyboardEvent as ReactKeyboardEvent,
} from 'react';
import type { Cell, ColumnMeta, SortKey } from '../../../../shared/contract/operations/workbench';
import { toTsv, writeClipboard } from './clipboard';
import { formatCount, isNumericKind, type GridSource, type ViewFilter } from './grid-source';
import { RowPageCache } from './page-cache';
import { useThemeColors, type ThemeColors } from './theme-colors';

/** Long text is cut in the cell (the detail panel has all of it); past this it is never readable on one line anyway. */
const CELL_TEXT_MAX = 500;
/** Copying reads rows the cache may not hold; past this a clipboard is the wrong tool (Export is there). */
const COPY_MAX_ROWS = 100_000;
/** The contract's bound on sort keys. */
const MAX_SORT_KEYS = 4;
const FILTER_DELAY_MS = 300;
const ROW_HEIGHT = 28;
/** Performance marks the grid bench reads: the result's first rows reached the grid, then its canvas. */
const FIRST_BATCH_MARK = 'tributary:results-first-batch';
const FIRST_ROWS_MARK = 'tributary:results-first-rows';

const emptySelection: GridSelection = { columns: CompactSelection.empty(), rows: CompactSelection.empty() };
const loadingCell: GridCell = { kind: GridCellKind.Loading, allowOverlay: false };

function initialWidth(column: ColumnMeta): number {
  if (isNumericKind(column.kind) || column.kind === 'bool' || column.kind === 'date') return 120;
  if (column.kind === 'timestamp' || column.kind === 'timestamptz') return 210;
  return 200;
}

/** Widths that fit the header and the first page's text, so exact numbers are not cut on the left. */
function fitWidths(columns: ColumnMeta[], cache: RowPageCache, rows: number, fontFamily: string): Record<number, number> {
  const context = document.createElement('canvas').getContext('2d');
  if (!context) return {};
  const widths: Record<number, number> = {};
  columns.forEach((column, index) => {
    context.font = `600 13px ${fontFamily}`;
    let widest = context.measureText(`${column.name} ▼4`).width;
    context.font = `13px ${fontFamily}`;
    for (let row = 0; row < Math.min(rows, 200); row++) {
      const value = cache.row(row)?.[index];
      if (value) widest = Math.max(widest, context.measureText(oneLine(value).slice(0, 80)).width);
    }
    widths[index] = Math.round(Math.min(420, Math.max(64, widest + 24)));
  });
  return widths;
}

/** Glide's own choice stops at 48 px, which cuts six-digit row numbers; grow with the digits instead. */
function rowMarkerWidth(rows: number): number {
  return Math.max(32, String(rows).length * 8 + 16);
}

function oneLine(text: string): string {
  const head = text.length > CELL_TEXT_MAX ? `${text.slice(0, CELL_TEXT_MAX)}…` : text;
  return head.replace(/\r\n|\r|\n/g, '↵').replaceAll('\t', ' ');
}

/** asc → desc → none on a plain click (replacing other keys); a shift-click does the same to one key among the others. */
function nextSort(sort: SortKey[], column: number, add: boolean): SortKey[] {
  const base = add ? sort : sort.filter((key) => key.column === column);
  const current = base.find((key) => key.column === column);
  if (!current) return [...base, { column, descending: false }].slice(-MAX_SORT_KEYS);
  if (!current.descending) return base.map((key) => (key.column === column ? { column, descending: true } : key));
  return base.filter((key) => key.column !== column);
}

function glideTheme(colors: ThemeColors): Partial<Theme> {
  return {
    accentColor: colors.accent,
    accentFg: colors.accentFg,
    accentLight: colors.theme === 'dark' ? 'rgba(76, 154, 255, 0.22)' : 'rgba(11, 99, 206, 0.12)',
    textDark: colors.fg,
    textMedium: colors.muted,
    textLight: colors.muted,
    textHeader: colors.fg,
    textHeaderSelected: colors.accentFg,
    bgCell: colors.bg,
    bgCellMedium: colors.bg2,
    bgHeader: colors.bg2,
    bgHeaderHasFocus: colors.bg2,
    bgHeaderHovered: colors.border,
    bgBubble: colors.bg2,
    bgBubbleSelected: colors.bg,
    bgSearchResult: colors.bg2,
    borderColor: colors.border,
    horizontalBorderColor: colors.border,
    drilldownBorder: colors.border,
    linkColor: colors.accent,
    fontFamily: colors.fontFamily,
    baseFontStyle: '13px',
    headerFontStyle: '600 13px',
    markerFontStyle: '12px',
    cellHorizontalPadding: 8,
  };
}

interface Detail {
  row: number;
  cells: Cell[] | undefined;
}

/** The rows a copy takes: the marked rows (whole), else the selected rectangle. */
function copyTarget(
  selection: GridSelection,
  columnCount: number,
): { first: number; count: number; columns: number[]; rowFilter?: (row: number) => boolean } | undefined {
  const all = Array.from({ length: columnCount }, (_, i) => i);
  const marked = selection.rows;
  if (marked.length > 0) {
    const first = marked.first()!;
    return { first, count: marked.last()! - first + 1, columns: all, rowFilter: (row) => marked.hasIndex(row) };
  }
  const range = selection.current?.range;
  if (!range) return undefined;
  return { first: range.y, count: range.height, columns: Array.from({ length: range.width }, (_, i) => range.x + i) };
}

export function ResultGrid({ source }: { source: GridSource }) {
  const { columns, fetch, setView, firstRows } = source;
  const helpId = useId();
  const colors = useThemeColors();
  const theme = useMemo(() => glideTheme(colors), [colors]);
  const nullTheme = useMemo<Partial<Theme>>(() => ({ textDark: colors.muted, baseFontStyle: 'italic 13px' }), [colors]);

  const grid = useRef<DataEditorRef>(null);
  const region = useRef<Rectangle>({ x: 0, y: 0, width: 0, height: 0 });
  const filterTimer = useRef<ReturnType<typeof setTimeout>>(undefined);
  const [error, setError] = useState<string>();
  const cache = useMemo(
    () => new RowPageCache(fetch, (caught) => setError(caught instanceof Error ? caught.message : String(caught)), firstRows),
    [fetch, firstRows],
  );

  // Rows that came with the result are measured before the first paint, so the columns do not jump once drawn.
  const [widths, setWidths] = useState<Record<number, number>>(() =>
    firstRows?.length ? fitWidths(columns, cache, firstRows.length, colors.fontFamily) : {},
  );
  const measured = useRef(firstRows !== undefined && firstRows.length > 0);
  const [sort, setSort] = useState<SortKey[]>([]);
  const [filterText, setFilterText] = useState('');
  const [filterColumn, setFilterColumn] = useState<number>();
  const [viewTotal, setViewTotal] = useState<number>();
  const [selection, setSelection] = useState<GridSelection>(emptySelection);
  const [detail, setDetail] = useState<Detail>();
  const [withHeader, setWithHeader] = useState(false);
  const [note, setNote] = useState<string>();

  const rows = viewTotal ?? source.total;
  const viewActive = viewTotal !== undefined;

  // Redraw only the cells of a page that are on screen when it lands. Glide's
  // accessibility table (what screen readers and tests read) is rebuilt only
  // when its inputs change, so once pages stop landing one epoch bump refreshes it.
  const [epoch, setEpoch] = useState(0);
  const settle = useRef<ReturnType<typeof setTimeout>>(undefined);
  useEffect(
    () =>
      cache.subscribe((first, count) => {
        const { x, y, width, height } = region.current;
        const from = Math.max(first, y);
        const to = Math.min(first + count, y + height + 1);
        const damaged: { cell: Item }[] = [];
        for (let row = from; row < to; row++) for (let col = x; col < x + width; col++) damaged.push({ cell: [col, row] });
        if (damaged.length > 0) grid.current?.updateCells(damaged);
        // For bench/grid.ts: the first page is on the canvas from the next frame.
        if (first === 0) requestAnimationFrame(() => performance.mark(FIRST_ROWS_MARK));
        if (first === 0 && !measured.current) {
          measured.current = true;
          const fitted = fitWidths(columns, cache, count, colors.fontFamily);
          setWidths((chosen) => ({ ...fitted, ...chosen }));
        }
        clearTimeout(settle.current);
        settle.current = setTimeout(() => setEpoch((e) => e + 1), 250);
      }),
    [cache, columns, colors.fontFamily],
  );
  useEffect(() => () => clearTimeout(settle.current), []);

  const hasRows = rows > 0;
  useEffect(() => {
    if (!hasRows) return;
    performance.mark(FIRST_BATCH_MARK);
    // Rows that came with the result are on the canvas from the next frame, with no page to wait for.
    if (cache.row(0)) requestAnimationFrame(() => performance.mark(FIRST_ROWS_MARK));
  }, [hasRows, cache]);

  // A growing result shows new rows where the operator is looking without waiting for a scroll.
  useEffect(() => {
    const { y, height } = region.current;
    cache.ensure(y, y + height, rows);
  }, [cache, rows]);

  const applyView = useCallback(
    (nextSortKeys: SortKey[], filter: ViewFilter | undefined) => {
      setView(nextSortKeys, filter)
        .then((total) => {
          if (total === undefined) return;
          cache.reset();
          setError(undefined);
          setViewTotal(nextSortKeys.length > 0 || filter ? total : undefined);
          const { y, height } = region.current;
          cache.ensure(y, y + height, total);
          grid.current?.updateCells([]);
        })
        .catch((caught: unknown) => setError(caught instanceof Error ? caught.message : String(caught)));
    },
    [cache, setView],
  );

  const currentFilter = (text: string, column: number | undefined): ViewFilter | undefined =>
    text ? { text, ...(column === undefined ? {} : { column }) } : undefined;

  // A view read while the query ran is a snapshot; take the whole result once it is complete.
  const { complete } = source;
  const view = useRef<{ sort: SortKey[]; filter: ViewFilter | undefined }>({ sort: [], filter: undefined });
  useEffect(() => {
    if (complete && (view.current.sort.length > 0 || view.current.filter)) applyView(view.current.sort, view.current.filter);
  }, [complete, applyView]);

  const changeView = (nextSortKeys: SortKey[], filter: ViewFilter | undefined) => {
    view.current = { sort: nextSortKeys, filter };
    applyView(nextSortKeys, filter);
  };

  const sortBy = (column: number, add: boolean) => {
    const next = nextSort(sort, column, add);
    setSort(next);
    changeView(next, currentFilter(filterText, filterColumn));
  };

  const clearSort = () => {
    setSort([]);
    changeView([], currentFilter(filterText, filterColumn));
  };

  const onFilter = (text: string, column: number | undefined) => {
    setFilterText(text);
    setFilterColumn(column);
    clearTimeout(filterTimer.current);
    // The sort as it is when the timer fires: a sort cleared or changed meanwhile must not come back with the filter.
    filterTimer.current = setTimeout(() => changeView(view.current.sort, currentFilter(text, column)), FILTER_DELAY_MS);
  };
  useEffect(() => () => clearTimeout(filterTimer.current), []);

  const gridColumns = useMemo<GridColumn[]>(
    () =>
      columns.map((column, index) => {
        const position = sort.findIndex((key) => key.column === index);
        const key = sort[position];
        const mark = key ? ` ${key.descending ? '▼' : '▲'}${sort.length > 1 ? position + 1 : ''}` : '';
        return { id: String(index), title: `${column.name}${mark}`, width: widths[index] ?? initialWidth(column) };
      }),
    [columns, sort, widths],
  );

  const getCellContent = useCallback(
    ([col, row]: Item): GridCell => {
      const cells = cache.row(row);
      if (!cells) return loadingCell;
      const value = cells[col] ?? null;
      if (value === null)
        return {
          kind: GridCellKind.Text,
          data: '',
          displayData: 'NULL',
          allowOverlay: false,
          readonly: true,
          themeOverride: nullTheme,
          copyData: '',
        };
      const kind = columns[col]?.kind;
      return {
        kind: GridCellKind.Text,
        data: value,
        displayData: oneLine(value),
        allowOverlay: false,
        readonly: true,
        contentAlign: kind && isNumericKind(kind) ? 'right' : 'left',
      };
    },
    // epoch: a new function makes Glide rebuild its accessibility table from the cache.
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [cache, columns, nullTheme, epoch],
  );

  const onVisibleRegionChanged = useCallback(
    (range: Rectangle) => {
      region.current = range;
      cache.ensure(range.y, range.y + range.height, rows);
    },
    [cache, rows],
  );

  const openDetail = useCallback(
    (row: number) => {
      setDetail({ row, cells: cache.row(row) });
      if (!cache.row(row))
        cache
          .read(row, 1, rows)
          .then(([cells]) => setDetail((shown) => (shown?.row === row ? { row, cells } : shown)))
          .catch((caught: unknown) => setError(caught instanceof Error ? caught.message : String(caught)));
    },
    [cache, rows],
  );

  const copyText = (cellsOf: Cell[][], target: NonNullable<ReturnType<typeof copyTarget>>, header: boolean): string => {
    const picked = target.rowFilter ? cellsOf.filter((_, i) => target.rowFilter!(target.first + i)) : cellsOf;
    return toTsv(
      picked.map((row) => target.columns.map((c) => row[c] ?? null)),
      header ? target.columns.map((c) => columns[c]?.name ?? '') : undefined,
    );
  };

  const copySelection = async (header: boolean) => {
    const target = copyTarget(selection, columns.length);
    if (!target) return;
    if (target.count > COPY_MAX_ROWS) {
      setNote(`Copy takes at most ${formatCount(COPY_MAX_ROWS)} rows; use Export for more.`);
      return;
    }
    setNote('Copying…');
    try {
      const read = await cache.read(target.first, target.count, rows);
      await writeClipboard(copyText(read, target, header));
      setNote(`Copied ${formatCount(target.rowFilter ? selection.rows.length : target.count)} rows.`);
    } catch (caught) {
      setNote(caught instanceof Error ? caught.message : String(caught));
    }
  };

  // The browser's copy event, answered synchronously when the rows are cached (no permission needed).
  const onCopy = (event: ReactClipboardEvent) => {
    if (detail || (event.target instanceof HTMLElement && event.target.closest('input, select, textarea'))) return;
    const target = copyTarget(selection, columns.length);
    if (!target) return;
    event.preventDefault();
    if (target.count <= COPY_MAX_ROWS && cache.has(target.first, target.count)) {
      event.clipboardData.setData('text/plain', copyText(rowsFromCache(cache, target.first, target.count), target, withHeader));
      setNote(`Copied ${formatCount(target.rowFilter ? selection.rows.length : target.count)} rows.`);
    } else void copySelection(withHeader);
  };

  const onGridKeyDown = (event: GridKeyEventArgs) => {
    // Alt+S sorts by the focused cell's column, as a header click does (with Shift, as a shift-click).
    if (event.altKey && event.key.toLowerCase() === 's' && event.location) {
      event.preventDefault();
      sortBy(event.location[0], event.shiftKey);
    }
  };

  const closeDetail = () => {
    setDetail(undefined);
    grid.current?.focus();
  };
  const onDetailKey = (event: ReactKeyboardEvent) => {
    if (event.key === 'Escape') closeDetail();
  };

  const status = `${formatCount(rows)} ${rows === 1 ? 'row' : 'rows'}${source.complete ? '' : ' (loading…)'}`;

  return (
    <div className="result-grid" onCopy={onCopy}>
      <div className="result-grid-bar" role="toolbar" aria-label="Result grid">
        <label>
          Filter{' '}
          <input
            type="search"
            value={filterText}
            placeholder="contains…"
            aria-label="Filter text"
            onChange={(e) => onFilter(e.target.value, filterColumn)}
          />
        </label>
        <select
          aria-label="Filter column"
          value={filterColumn ?? ''}
          onChange={(e) => onFilter(filterText, e.target.value === '' ? undefined : Number(e.target.value))}
        >
          <option value="">any column</option>
          {columns.map((column, index) => (
            <option key={index} value={index}>
              {column.name}
            </option>
          ))}
        </select>
        {sort.length > 0 && (
          <button type="button" onClick={clearSort}>
            Clear sort
          </button>
        )}
        <span className="spacer" />
        <label title="Ctrl/Cmd+C copies the selected cells, or the marked rows, as TSV">
          <input type="checkbox" checked={withHeader} onChange={(e) => setWithHeader(e.target.checked)} /> Copy with header
        </label>
        <button type="button" onClick={() => void copySelection(withHeader)} disabled={!copyTarget(selection, columns.length)}>
          Copy
        </button>
      </div>
      <div className="result-grid-body">
        <div className="result-grid-canvas" role="region" aria-label="Results" aria-describedby={helpId}>
          <DataEditor
            ref={grid}
            columns={gridColumns}
            rows={rows}
            getCellContent={getCellContent}
            onVisibleRegionChanged={onVisibleRegionChanged}
            onColumnResize={(_column, size, index) => setWidths((w) => ({ ...w, [index]: size }))}
            onHeaderClicked={(index: number, event: HeaderClickedEventArgs) => sortBy(index, event.shiftKey)}
            onCellActivated={([, row]) => openDetail(row)}
            onKeyDown={onGridKeyDown}
            gridSelection={selection}
            onGridSelectionChange={setSelection}
            rowMarkers="clickable-number"
            rowMarkerWidth={rowMarkerWidth(rows)}
            columnSelect="none"
            cellActivationBehavior="double-click"
            keybindings={{ copy: false, cut: false, paste: false, search: false }}
            rowHeight={ROW_HEIGHT}
            headerHeight={32}
            smoothScrollX
            smoothScrollY
            theme={theme}
            width="100%"
            height="100%"
          />
        </div>
        {detail && (
          <aside className="row-detail" role="dialog" aria-label={`Row ${formatCount(detail.row + 1)}`} onKeyDown={onDetailKey}>
            <header>
              <h2>Row {formatCount(detail.row + 1)}</h2>
              <button type="button" onClick={closeDetail} autoFocus>
                Close
              </button>
            </header>
            {detail.cells ? (
              <dl>
                {columns.map((column, index) => {
                  const value = detail.cells?.[index] ?? null;
                  return (
                    <div key={index} className="row-detail-item">
                      <dt>
                        {column.name} <span className="muted">{column.type}</span>
                        <button
                          type="button"
                          className="link"
                          aria-label={`Copy ${column.name}`}
                          onClick={() =>
                            void writeClipboard(value ?? '').then(
                              () => setNote(`Copied ${column.name}.`),
                              (caught: unknown) => setNote(String(caught)),
                            )
                          }
                        >
                          Copy
                        </button>
                      </dt>
                      <dd className={value === null ? 'null' : undefined}>{value ?? 'NULL'}</dd>
                    </div>
                  );
                })}
              </dl>
            ) : (
              <p className="muted">Loading…</p>
            )}
          </aside>
        )}
      </div>
      <p id={helpId} className="sr-only">
        Arrow keys move, Shift extends the selection, Enter or a double-click shows the whole row, Alt+S sorts by the column, Ctrl+C copies.
      </p>
      <div className="result-grid-status" role="status" aria-label="Result status">
        <span>{status}</span>
        {viewActive && <span className="muted">sorted/filtered view</span>}
        {note && <span className="muted">{note}</span>}
        {error && <span className="error-text">{error}</span>}
      </div>
    </div>
  );
}

function rowsFromCache(cache: RowPageCache, first: number, count: number): Cell[][] {
  const out: Cell[][] = [];
  for (let row = first; row < first + count; row++) out.push(cache.row(row) ?? []);
  return out;
}
