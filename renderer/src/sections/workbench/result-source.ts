import type { Cell, ColumnMeta } from '../../../../shared/contract';
import type { RpcClient } from '../../../../shared/rpc-client';
import type { GridSource } from './grid-source';

/** The reading half of a GridSource over one stored result: stable for the result's life, as the pane expects. */
export type ResultReader = Pick<GridSource, 'fetch' | 'setView'>;

export function resultReader(client: RpcClient, resultId: string): ResultReader {
  let view: string | undefined;
  return {
    fetch: async (offset, limit) => (await client.call('results.rows', { resultId, offset, limit, ...(view ? { view } : {}) })).rows,
    setView: async (sort, filter) => {
      if (sort.length === 0 && !filter) {
        view = undefined;
        return (await client.call('results.rows', { resultId, offset: 0, limit: 1 })).total;
      }
      const answer = await client.call('results.view', { resultId, sort, ...(filter ? { filter } : {}) });
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
