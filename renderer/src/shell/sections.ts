import { lazy, type ComponentType, type LazyExoticComponent } from 'react';

export interface Section {
  id: string;
  title: string;
  /** One line under the heading. */
  purpose: string;
  component: LazyExoticComponent<ComponentType>;
}

/** The app's areas, in navigation order; Ctrl/Cmd+1.. follows this order. */
export const sections: Section[] = [
  {
    id: 'environments',
    title: 'Environments',
    purpose: 'Where Tributary works: the local sandbox or an AWS account and region.',
    component: lazy(() => import('../sections/Environments')),
  },
  {
    id: 'provision',
    title: 'Provision',
    purpose: 'Create the stream, bucket, EMR and Redshift clusters, and see what is running.',
    component: lazy(() => import('../sections/Provision')),
  },
  {
    id: 'workbench',
    title: 'Workbench',
    purpose: 'Redshift and Spark SQL with streaming results and charts.',
    component: lazy(() => import('../sections/Workbench')),
  },
  {
    id: 'operations',
    title: 'Operations',
    purpose: 'Operate a Redshift warehouse: live queries and locks, WLM, history with plans, and what queries cost.',
    component: lazy(() => import('../sections/Operations')),
  },
  {
    id: 'pipeline',
    title: 'Pipeline',
    purpose: 'Every stage from producers to charts, with its health.',
    component: lazy(() => import('../sections/Pipeline')),
  },
  {
    id: 'sessions',
    title: 'Sessions',
    purpose: 'SSH sessions to EMR masters and the tunnels through them.',
    component: lazy(() => import('../sections/Sessions')),
  },
  {
    id: 'settings',
    title: 'Settings',
    purpose: 'Appearance, secrets, data and the app log.',
    component: lazy(() => import('../sections/Settings')),
  },
];
