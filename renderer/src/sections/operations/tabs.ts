import { lazy, type ComponentType, type LazyExoticComponent } from 'react';
import type { OperationsTabProps } from './tab-props';

export interface OperationsTab {
  id: string;
  title: string;
  component: LazyExoticComponent<ComponentType<OperationsTabProps>>;
}

/** The Operations view's tabs, in order; a new view of the warehouse is one more entry here. */
export const operationsTabs: OperationsTab[] = [
  { id: 'queries', title: 'Queries', component: lazy(() => import('./RunningQueries')) },
  { id: 'locks', title: 'Sessions & locks', component: lazy(() => import('./Locks')) },
  { id: 'wlm', title: 'WLM', component: lazy(() => import('./Wlm')) },
  { id: 'history', title: 'History', component: lazy(() => import('./History')) },
  { id: 'cost', title: 'Cost', component: lazy(() => import('./Cost')) },
  { id: 'table-health', title: 'Table health', component: lazy(() => import('./TableHealth')) },
];
