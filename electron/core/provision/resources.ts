import type { InventoryItem, ProvisionChunk, ResourceRef, ResourceSpec } from '../../../shared/contract/index.js';
import { AppError } from '../../../shared/errors.js';
import { aws, explainAwsError } from '../aws/errors.js';
import type { Created, RunContext } from './context.js';
import * as emr from './emr.js';
import * as firehose from './firehose.js';
import * as kinesis from './kinesis.js';
import * as redshift from './redshift.js';
import * as serverless from './redshift-serverless.js';
import * as s3 from './s3.js';

/** Any one resource, to the module of its kind: create it, delete it, look up its name. */

export function createOne(spec: ResourceSpec, ctx: RunContext): AsyncGenerator<ProvisionChunk, Created> {
  switch (spec.kind) {
    case 'kinesis':
      return kinesis.createStream(spec, ctx);
    case 's3':
      return s3.createBucket(spec, ctx);
    case 'emr':
      return emr.createCluster(spec, ctx);
    case 'redshift':
      return redshift.createWarehouse(spec, ctx);
    case 'redshift-serverless':
      return serverless.createServerless(spec, ctx);
    case 'firehose':
      return firehose.createDeliveryStream(spec, ctx);
  }
}

/** What a deletion reports while it waits: AWS's state, or (emptying a bucket) how many objects are gone. */
export type DeleteSeen = { state?: string; message: string; done?: number; total?: number };

export async function* deleteOne(
  ctx: RunContext,
  r: ResourceRef,
  snapshot: string | undefined,
  keyFile?: string,
): AsyncGenerator<DeleteSeen> {
  switch (r.type) {
    case 'kinesis-stream':
      yield* kinesis.deleteStream(ctx, r.id);
      return;
    case 'firehose-stream':
      yield* firehose.deleteDeliveryStream(ctx, r.id);
      return;
    case 's3-bucket':
      for await (const seen of s3.deleteBucket(ctx, r.id))
        yield seen.kind === 'progress'
          ? { done: seen.done, total: seen.total, message: seen.message }
          : { state: seen.state, message: seen.message };
      return;
    case 'emr-cluster':
      yield* emr.terminateCluster(ctx, r.id);
      return;
    case 'redshift-cluster':
      yield* redshift.deleteWarehouse(ctx, r.id, snapshot);
      return;
    case 'redshift-workgroup':
      yield* serverless.deleteWorkgroup(ctx, r.id);
      return;
    case 'redshift-namespace':
      yield* serverless.deleteNamespace(ctx, r.id);
      return;
    case 'iam-role':
      await redshift.deleteRole(ctx, r.id);
      return;
    case 'ec2-key-pair':
      await emr.deleteKeyPair(ctx, r.id, keyFile);
      return;
  }
}

/** The resource's name as AWS has it now (the typed confirmation is checked against it); NOT_FOUND when gone. */
export async function currentName(ctx: RunContext, type: InventoryItem['type'], id: string): Promise<string> {
  try {
    switch (type) {
      case 'kinesis-stream':
        if (!(await kinesis.streamExists(ctx, id))) break;
        return id;
      case 'firehose-stream':
        if (!(await firehose.deliveryStreamExists(ctx, id))) break;
        return id;
      case 's3-bucket':
        if ((await aws('s3:ListBucket', `checking bucket ${id}`, () => s3.bucketOwnership(ctx, id))) !== 'yours') break;
        return id;
      case 'emr-cluster': {
        const found = (await emr.listClusters(ctx)).find((c) => c.id === id);
        if (!found) break;
        return found.name;
      }
      case 'redshift-cluster':
        if (!(await redshift.clusterExists(ctx, id))) break;
        return id;
      case 'redshift-workgroup':
        if (!(await serverless.workgroupExists(ctx, id))) break;
        return id;
      case 'redshift-namespace':
        if (!(await serverless.namespaceExists(ctx, id))) break;
        return id;
    }
  } catch (error) {
    throw explainAwsError(error, `describe ${type}`, `looking up ${id}`).toAppError();
  }
  throw new AppError('NOT_FOUND', `No ${type} ${id} in the active environment (it may be deleted already).`);
}
