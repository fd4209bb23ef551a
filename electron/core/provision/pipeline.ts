import type { z } from 'zod';
import {
  emrSpecSchema,
  kinesisSpecSchema,
  redshiftSpecSchema,
  s3SpecSchema,
  type EmrSpec,
  type KinesisSpec,
  type PipelineSpec,
  type RedshiftSpec,
  type S3Spec,
} from '../../../shared/contract/index.js';
import { AppError } from '../../../shared/errors.js';
import { SANDBOX_KEY_PAIR } from '../../../sandbox/client/constants.js';

export interface PipelineSpecs {
  kinesis: KinesisSpec;
  s3: S3Spec;
  emr: EmrSpec;
  redshift: RedshiftSpec;
}

/** Where each derived spec's fields come from in the pipeline spec, so an issue lands on the field the operator set. */
const FIELD_OF: Record<string, string> = {
  'kinesis.name': 'streamName',
  's3.name': 'bucketName',
  'emr.keyPair.name': 'keyPair.name',
  'emr.releaseLabel': 'releaseLabel',
  'redshift.database': 'database',
};

/**
 * The four wizards' specs from one prefix: <prefix>-events, <prefix>-<account>-<region>
 * (bucket names are global), <prefix>-emr, <prefix>-warehouse, and <prefix>-redshift-copy
 * for COPY/UNLOAD; every other choice the safe default.
 */
export function derivePipeline(
  spec: PipelineSpec,
  env: { region: string; sandbox: boolean; accountId?: string; releaseLabel?: string },
): PipelineSpecs {
  const { prefix } = spec;
  const bucket = spec.bucketName ?? `${prefix}-${env.accountId ?? 'account'}-${env.region}`;
  const drafts = {
    kinesis: { kind: 'kinesis', name: spec.streamName ?? `${prefix}-events`, shardCount: spec.shardCount, pipeline: prefix },
    s3: { kind: 's3', name: bucket, region: env.region, pipeline: prefix },
    emr: {
      kind: 'emr',
      name: `${prefix}-emr`,
      ...((spec.releaseLabel ?? env.releaseLabel) ? { releaseLabel: spec.releaseLabel ?? env.releaseLabel } : {}),
      instances: { mode: 'uniform', instanceType: spec.emrInstanceType, count: spec.emrInstanceCount },
      keyPair: spec.keyPair ?? (env.sandbox ? { mode: 'existing', name: SANDBOX_KEY_PAIR } : { mode: 'create', name: `${prefix}-key` }),
      ...(spec.subnetId ? { subnetId: spec.subnetId } : {}),
      logUri: `s3://${bucket}/emr-logs/`,
      startThriftServer: true,
      pipeline: prefix,
    },
    redshift: {
      kind: 'redshift',
      identifier: `${prefix}-warehouse`,
      database: spec.database,
      nodeType: spec.redshiftNodeType,
      nodeCount: spec.redshiftNodeCount,
      iamRole: { mode: 'create', name: `${prefix}-redshift-copy`, bucket },
      connectionName: `${prefix} warehouse (Redshift)`,
      pipeline: prefix,
    },
  };
  const schemas = { kinesis: kinesisSpecSchema, s3: s3SpecSchema, emr: emrSpecSchema, redshift: redshiftSpecSchema };
  const out: Partial<PipelineSpecs> = {};
  const issues: { path: string; message: string }[] = [];
  for (const key of Object.keys(schemas) as (keyof PipelineSpecs)[]) {
    const parsed = (schemas[key] as z.ZodType).safeParse(drafts[key]);
    if (parsed.success) (out as Record<string, unknown>)[key] = parsed.data;
    else
      for (const issue of parsed.error.issues) {
        const inner = `${key}.${issue.path.join('.')}`;
        issues.push({ path: FIELD_OF[inner] ?? 'prefix', message: `${inner}: ${issue.message}` });
      }
  }
  if (issues.length)
    throw new AppError(
      'VALIDATION',
      `The names derived from ${prefix} do not all follow AWS's rules: ${issues.map((i) => i.message).join('; ')}`,
      issues,
    );
  return out as PipelineSpecs;
}
