import type { ProvisionOptions, ProvisionPreview, ResourceSpec } from '../../../../shared/contract';
import type { FieldMessage } from './fields';

/** What the wizard and its forms share: the kinds of wizard, the draft being edited, and what a form is handed. */
export type WizardKind = ResourceSpec['kind'] | 'pipeline';

export const wizardTitles: Record<WizardKind, { title: string; create: string }> = {
  kinesis: { title: 'Kinesis stream', create: 'Create stream' },
  s3: { title: 'S3 bucket', create: 'Create bucket' },
  emr: { title: 'EMR cluster', create: 'Create EMR cluster' },
  redshift: { title: 'Redshift cluster', create: 'Create Redshift cluster' },
  'redshift-serverless': { title: 'Redshift Serverless', create: 'Create namespace and workgroup' },
  firehose: { title: 'Firehose stream', create: 'Create Firehose stream' },
  pipeline: { title: 'Whole pipeline', create: 'Create the whole pipeline' },
};

export type Draft = Record<string, unknown>;
export interface FormProps {
  draft: Draft;
  set: (path: string, value: unknown) => void;
  messages: (path: string) => FieldMessage[];
  options: ProvisionOptions | undefined;
  preview: ProvisionPreview | undefined;
}
