import type { Cell, ColumnMeta } from '../../../../shared/contract';
import type { RpcClient } from '../../../../shared/rpc-client';
import type { GridSource } from './grid-source';

/** The reading half of a GridSource over one stored result: stable for the result's life, as the pane expects. */
export type ResultReader = Pick<GridSource, 'fetch' | 'setView'>;

export function resultReader(client: RpcClient, resultId: string): ResultReader {
  let view: string | undefined;
  // Sort and filter clicks can overlap and their answers cross: only the last request may set the view.
  let latest = 0;
  return {
    fetch: async (offset, limit) => (await client.call('results.rows', { resultId, offset, limit, ...(view ? { view } : {}) })).rows,
    setView: async (sort, filter) => {
      const ticket = ++latest;
      const ask = async () =>
        sort.length === 0 && !filter
          ? { view: undefined, total: (await client.call('results.rows', { resultId, offset: 0, limit: 1 })).total }
          : await client.call('results.view', { resultId, sort, ...(filter ? { filter } : {}) });
      const answer = await ask().catch((error: unknown) => {
        if (ticket === latest) throw error;
      });
      if (ticket !== latest || !answer) return undefined;
      view = answer.view;
      return answer.total;
    },
  };
}

export interface ResultState {
  resultId: string;
  columns: ColumnMeta[];
  total: number;
  complete: boolean;
  /** The rows the run sent with the result. */
  firstRows: Cell[][];
  reader: ResultReader;
}
