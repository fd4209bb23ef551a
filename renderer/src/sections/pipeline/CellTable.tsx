import type { Cell, ColumnMeta } from '../../../../shared/contract';

/** A small scrollable grid of cells, for previews and load errors (at most a few hundred rows). */
export function CellTable({ label, columns, rows }: { label: string; columns: ColumnMeta[]; rows: Cell[][] }) {
  return (
    <div className="cell-table-wrap">
      <table className="table small cell-table" aria-label={label}>
        <thead>
          <tr>
            {columns.map((c, i) => (
              <th key={i} title={c.type}>
                {c.name}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((row, r) => (
            <tr key={r}>
              {row.map((cell, i) => (
                <td
                  key={i}
                  className={
                    cell === null ? 'null' : columns[i] && ['int', 'decimal', 'float'].includes(columns[i].kind) ? 'num' : undefined
                  }
                  title={cell ?? 'NULL'}
                >
                  {cell ?? 'NULL'}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
