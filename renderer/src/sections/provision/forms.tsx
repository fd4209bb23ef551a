// Over ~400 lines on purpose: the wizards' forms, one small component each, over the same field helpers.
import {
  EMR_APPLICATIONS,
  EMR_DEFAULT_RELEASE,
  EMR_INSTANCE_TYPES,
  REDSHIFT_NODE_TYPE_NAMES,
  REDSHIFT_NODE_TYPES,
  SERVERLESS_CAPACITY,
  STREAM_LIMITS,
} from '../../../../shared/contract';
import { CheckField, NumberField, RadioField, SelectField, TextField } from './fields';
import { formatUsd, getPath } from './format';
import type { FormProps, WizardKind } from './form-model';

/** The fields each wizard renders; an issue whose path none of them starts is listed under the form. */
export const fieldPaths: Record<WizardKind, string[]> = {
  kinesis: ['name', 'mode', 'shardCount', 'retentionHours', 'encryption.enabled', 'encryption.kmsKeyId'],
  s3: [
    'name',
    'region',
    'encryption.type',
    'encryption.kmsKeyId',
    'versioning',
    'blockPublicAccess',
    'rawLifecycle.enabled',
    'rawLifecycle.transitionToIaDays',
    'rawLifecycle.expireDays',
    'layout.tables',
  ],
  emr: [
    'name',
    'releaseLabel',
    'applications',
    'instances.instanceType',
    'instances.count',
    'keyPair.name',
    'subnetId',
    'autoTermination.idleMinutes',
    'startThriftServer',
  ],
  redshift: [
    'identifier',
    'database',
    'nodeType',
    'nodeCount',
    'masterUsername',
    'password',
    'port',
    'publiclyAccessible',
    'encrypted',
    'iamRole.name',
    'iamRole.bucket',
    'iamRole.arn',
  ],
  'redshift-serverless': [
    'namespaceName',
    'workgroupName',
    'database',
    'adminUsername',
    'password',
    'baseCapacity',
    'maxCapacity',
    'publiclyAccessible',
    'iamRole.name',
    'iamRole.bucket',
    'iamRole.arn',
  ],
  firehose: [
    'name',
    'source.mode',
    'source.streamName',
    'bucket',
    'prefix',
    'errorOutputPrefix',
    'buffering.sizeMiB',
    'buffering.intervalSeconds',
    'compression',
    'roleArn',
    'redshift.connectionId',
    'redshift.table',
    'redshift.columns',
    'redshift.copyOptions',
    'redshift.retrySeconds',
  ],
  pipeline: [
    'prefix',
    'shardCount',
    'emrInstanceType',
    'emrInstanceCount',
    'releaseLabel',
    'redshiftNodeType',
    'redshiftNodeCount',
    'database',
  ],
};

const str = (draft: Record<string, unknown>, path: string, fallback = '') => {
  const value = getPath(draft, path);
  return typeof value === 'string' ? value : fallback;
};
const num = (draft: Record<string, unknown>, path: string, fallback: number) => {
  const value = getPath(draft, path);
  return typeof value === 'number' ? value : fallback;
};
const bool = (draft: Record<string, unknown>, path: string, fallback: boolean) => {
  const value = getPath(draft, path);
  return typeof value === 'boolean' ? value : fallback;
};

function instanceTypeOptions(options: FormProps['options']) {
  const listed = options?.instanceTypes.length
    ? options.instanceTypes
    : EMR_INSTANCE_TYPES.map((type) => ({ type, usdPerHour: undefined, emrUsdPerHour: undefined }));
  return listed.map((t) => ({
    value: t.type,
    label: t.usdPerHour !== undefined ? `${t.type} (${formatUsd(t.usdPerHour + (t.emrUsdPerHour ?? 0))}/h with EMR)` : t.type,
  }));
}

function nodeTypeOptions(options: FormProps['options']) {
  const listed = options?.nodeTypes.length
    ? options.nodeTypes
    : REDSHIFT_NODE_TYPE_NAMES.map((type) => ({
        type,
        ...REDSHIFT_NODE_TYPES[type],
        minNodes: REDSHIFT_NODE_TYPES[type].singleNode ? 1 : 2,
        usdPerHour: undefined,
      }));
  return listed.map((n) => ({
    value: n.type,
    label: `${n.type} — ${n.vcpu} vCPU, ${n.memoryGiB} GiB, ${n.storage}, ${n.minNodes}–${n.maxNodes} nodes${n.usdPerHour !== undefined ? `, ${formatUsd(n.usdPerHour)}/h per node` : ''}`,
  }));
}

function releaseOptions(options: FormProps['options'], current: string) {
  const labels = options?.releaseLabels.length ? options.releaseLabels : [EMR_DEFAULT_RELEASE];
  return (labels.includes(current) || !current ? labels : [current, ...labels]).map((l) => ({ value: l, label: l }));
}

export function KinesisForm({ draft, set, messages }: FormProps) {
  const mode = str(draft, 'mode', 'provisioned');
  return (
    <>
      <TextField
        label="Stream name"
        value={str(draft, 'name')}
        onChange={(v) => set('name', v)}
        messages={messages('name')}
        hint="Letters, digits, _ . and -; up to 128."
      />
      <RadioField
        legend="Capacity mode"
        name="kinesis-mode"
        value={mode}
        onChange={(v) => set('mode', v)}
        options={[
          { value: 'provisioned', label: 'Provisioned shards' },
          { value: 'on-demand', label: 'On-demand' },
        ]}
      />
      {mode === 'provisioned' && (
        <NumberField
          label="Shards"
          value={num(draft, 'shardCount', 1)}
          onChange={(v) => set('shardCount', v)}
          messages={messages('shardCount')}
          min={STREAM_LIMITS.minShards}
          max={STREAM_LIMITS.maxShards}
          hint="Each takes 1 MB/s or 1,000 records/s in."
        />
      )}
      <NumberField
        label="Retention (hours)"
        value={num(draft, 'retentionHours', 24)}
        onChange={(v) => set('retentionHours', v)}
        messages={messages('retentionHours')}
        min={STREAM_LIMITS.minRetentionHours}
        max={STREAM_LIMITS.maxRetentionHours}
      />
      <CheckField
        label="Encrypt with KMS"
        checked={bool(draft, 'encryption.enabled', true)}
        onChange={(v) => set('encryption.enabled', v)}
        messages={messages('encryption.enabled')}
      />
      {bool(draft, 'encryption.enabled', true) && (
        <TextField
          label="KMS key"
          value={str(draft, 'encryption.kmsKeyId', 'alias/aws/kinesis')}
          onChange={(v) => set('encryption.kmsKeyId', v)}
          messages={messages('encryption.kmsKeyId')}
        />
      )}
    </>
  );
}

export function S3Form({ draft, set, messages, options }: FormProps) {
  const encryption = str(draft, 'encryption.type', 'SSE-S3');
  const lifecycle = bool(draft, 'rawLifecycle.enabled', false);
  const tables = getPath(draft, 'layout.tables');
  return (
    <>
      <TextField
        label="Bucket name"
        value={str(draft, 'name')}
        onChange={(v) => set('name', v)}
        messages={messages('name')}
        hint="Globally unique; 3–63 lowercase letters, digits, . and -."
      />
      <TextField
        label="Region"
        value={str(draft, 'region')}
        onChange={(v) => set('region', v === '' ? undefined : v)}
        messages={messages('region')}
        placeholder={options?.environment.region ?? 'the environment’s region'}
      />
      <SelectField
        label="Encryption"
        value={encryption}
        onChange={(v) => set('encryption.type', v)}
        messages={messages('encryption.type')}
        options={[
          { value: 'SSE-S3', label: 'SSE-S3 (Amazon S3 managed keys)' },
          { value: 'SSE-KMS', label: 'SSE-KMS (AWS KMS keys)' },
        ]}
      />
      {encryption === 'SSE-KMS' && (
        <TextField
          label="KMS key"
          value={str(draft, 'encryption.kmsKeyId')}
          onChange={(v) => set('encryption.kmsKeyId', v === '' ? undefined : v)}
          messages={messages('encryption.kmsKeyId')}
          placeholder="alias/aws/s3"
        />
      )}
      <CheckField
        label="Versioning"
        checked={bool(draft, 'versioning', true)}
        onChange={(v) => set('versioning', v)}
        messages={messages('versioning')}
      />
      <CheckField
        label="Block all public access"
        checked={bool(draft, 'blockPublicAccess', true)}
        onChange={(v) => set('blockPublicAccess', v)}
        messages={messages('blockPublicAccess')}
      />
      <CheckField
        label="Lifecycle rule for raw/"
        checked={lifecycle}
        onChange={(v) => set('rawLifecycle.enabled', v)}
        messages={messages('rawLifecycle.enabled')}
      />
      {lifecycle && (
        <>
          <NumberField
            label="Move to Standard-IA after (days)"
            value={getPath(draft, 'rawLifecycle.transitionToIaDays') as number | undefined}
            onChange={(v) => set('rawLifecycle.transitionToIaDays', Number.isNaN(v) ? undefined : v)}
            messages={messages('rawLifecycle.transitionToIaDays')}
            min={30}
          />
          <NumberField
            label="Expire after (days)"
            value={num(draft, 'rawLifecycle.expireDays', 365)}
            onChange={(v) => set('rawLifecycle.expireDays', v)}
            messages={messages('rawLifecycle.expireDays')}
            min={1}
          />
        </>
      )}
      <TextField
        label="Table folders (comma-separated)"
        value={Array.isArray(tables) ? tables.join(',') : 'access_logs'}
        onChange={(v) =>
          set(
            'layout.tables',
            v.split(',').map((t) => t.trim()),
          )
        }
        messages={messages('layout.tables')}
        hint="Creates raw/<table>/ and curated/<table>/v1/."
      />
    </>
  );
}

export function EmrForm({ draft, set, messages, options }: FormProps) {
  const applications = (getPath(draft, 'applications') as string[] | undefined) ?? ['Spark', 'Hive'];
  const keyMode = str(draft, 'keyPair.mode', 'create');
  const autoTerminate = bool(draft, 'autoTermination.enabled', true);
  const release = str(draft, 'releaseLabel', options?.defaultReleaseLabel ?? EMR_DEFAULT_RELEASE);
  return (
    <>
      <TextField label="Cluster name" value={str(draft, 'name')} onChange={(v) => set('name', v)} messages={messages('name')} />
      <SelectField
        label="Release"
        value={release}
        onChange={(v) => set('releaseLabel', v)}
        messages={messages('releaseLabel')}
        options={releaseOptions(options, release)}
      />
      <fieldset className="field checks" aria-describedby={undefined}>
        <legend>Applications</legend>
        {EMR_APPLICATIONS.map((app) => (
          <label key={app}>
            <input
              type="checkbox"
              checked={applications.includes(app)}
              onChange={(e) => set('applications', e.target.checked ? [...applications, app] : applications.filter((a) => a !== app))}
            />{' '}
            {app}
          </label>
        ))}
        {messages('applications').map((m, i) => (
          <span key={i} className="field-error">
            {m.message}
          </span>
        ))}
      </fieldset>
      <SelectField
        label="Instance type"
        value={str(draft, 'instances.instanceType', 'm5.xlarge')}
        onChange={(v) => set('instances', { mode: 'uniform', instanceType: v, count: num(draft, 'instances.count', 2) })}
        messages={messages('instances.instanceType')}
        options={instanceTypeOptions(options)}
      />
      <NumberField
        label="Instances (master + core)"
        value={num(draft, 'instances.count', 2)}
        onChange={(v) => set('instances', { mode: 'uniform', instanceType: str(draft, 'instances.instanceType', 'm5.xlarge'), count: v })}
        messages={messages('instances.count')}
        min={1}
      />
      <RadioField
        legend="Key pair for SSH"
        name="emr-key-mode"
        value={keyMode}
        onChange={(v) =>
          set('keyPair', { mode: v, name: v === 'existing' ? (options?.keyPairs[0]?.name ?? '') : str(draft, 'keyPair.name') })
        }
        options={[
          { value: 'create', label: 'Create a new key pair' },
          { value: 'existing', label: 'Use an existing key pair' },
        ]}
      />
      {keyMode === 'existing' ? (
        <SelectField
          label="Key pair"
          value={str(draft, 'keyPair.name')}
          onChange={(v) => set('keyPair.name', v)}
          messages={messages('keyPair.name')}
          options={[
            { value: '', label: options?.keyPairs.length ? 'Choose…' : 'No key pairs in this region' },
            ...(options?.keyPairs ?? []).map((k) => ({ value: k.name, label: k.hasKeyFile ? `${k.name} (key file known)` : k.name })),
          ]}
        />
      ) : (
        <TextField
          label="New key pair name"
          value={str(draft, 'keyPair.name')}
          onChange={(v) => set('keyPair.name', v)}
          messages={messages('keyPair.name')}
          hint="The private key is saved in the data directory (readable by you only) and never shown."
        />
      )}
      <SelectField
        label="Subnet"
        value={str(draft, 'subnetId')}
        onChange={(v) => set('subnetId', v === '' ? undefined : v)}
        messages={messages('subnetId')}
        options={[
          { value: '', label: 'Default (EMR chooses)' },
          ...(options?.subnets ?? []).map((s) => ({
            value: s.id,
            label: `${s.id} — ${s.availabilityZone}, ${s.cidr}${s.defaultForAz ? ', default' : ''}`,
          })),
        ]}
      />
      <CheckField label="Terminate when idle" checked={autoTerminate} onChange={(v) => set('autoTermination.enabled', v)} />
      {autoTerminate && (
        <NumberField
          label="Idle minutes before terminating"
          value={num(draft, 'autoTermination.idleMinutes', 60)}
          onChange={(v) => set('autoTermination.idleMinutes', v)}
          messages={messages('autoTermination.idleMinutes')}
          min={1}
        />
      )}
      <CheckField
        label="Start the Spark Thrift Server (Spark SQL on port 10001)"
        checked={bool(draft, 'startThriftServer', false)}
        onChange={(v) => set('startThriftServer', v)}
        messages={messages('startThriftServer')}
      />
    </>
  );
}

export function RedshiftForm({ draft, set, messages, options }: FormProps) {
  const identifier = str(draft, 'identifier');
  return (
    <>
      <TextField
        label="Cluster identifier"
        value={identifier}
        onChange={(v) => set('identifier', v)}
        messages={messages('identifier')}
        hint="Lowercase letters, digits and hyphens; starts with a letter."
      />
      <TextField
        label="Database name"
        value={str(draft, 'database', 'dev')}
        onChange={(v) => set('database', v)}
        messages={messages('database')}
      />
      <SelectField
        label="Node type"
        value={str(draft, 'nodeType', 'ra3.large')}
        onChange={(v) => set('nodeType', v)}
        messages={messages('nodeType')}
        options={nodeTypeOptions(options)}
      />
      <NumberField
        label="Nodes"
        value={num(draft, 'nodeCount', 1)}
        onChange={(v) => set('nodeCount', v)}
        messages={messages('nodeCount')}
        min={1}
      />
      <TextField
        label="Master user name"
        value={str(draft, 'masterUsername', 'awsuser')}
        onChange={(v) => set('masterUsername', v)}
        messages={messages('masterUsername')}
      />
      <RadioField
        legend="Master password"
        name="redshift-password"
        value={str(draft, 'password', 'generate')}
        onChange={(v) => set('password', v)}
        options={[
          { value: 'generate', label: 'Generate one (kept in the secret store, never shown)' },
          { value: 'managed', label: 'Managed by AWS Secrets Manager' },
        ]}
      />
      <NumberField label="Port" value={num(draft, 'port', 5439)} onChange={(v) => set('port', v)} messages={messages('port')} />
      <CheckField
        label="Publicly accessible"
        checked={bool(draft, 'publiclyAccessible', false)}
        onChange={(v) => set('publiclyAccessible', v)}
        messages={messages('publiclyAccessible')}
      />
      <CheckField
        label="Encrypted"
        checked={bool(draft, 'encrypted', true)}
        onChange={(v) => set('encrypted', v)}
        messages={messages('encrypted')}
      />
      <CopyRoleFields {...{ draft, set, messages, options }} baseName={identifier} />
    </>
  );
}

/** The role a warehouse assumes for COPY and UNLOAD: none, one created for a bucket, or an existing one. */
function CopyRoleFields({ draft, set, messages, options, baseName }: Omit<FormProps, 'preview'> & { baseName: string }) {
  const roleMode = str(draft, 'iamRole.mode', 'none');
  return (
    <>
      <RadioField
        legend="IAM role for COPY and UNLOAD"
        name="redshift-role"
        value={roleMode}
        onChange={(v) =>
          set(
            'iamRole',
            v === 'create'
              ? { mode: 'create', name: `${baseName || 'tributary'}-s3-role`.slice(0, 64), bucket: options?.buckets[0] ?? '' }
              : v === 'existing'
                ? { mode: 'existing', arn: options?.roles.redshiftCandidates[0]?.arn ?? '' }
                : { mode: 'none' },
          )
        }
        options={[
          { value: 'none', label: 'None' },
          { value: 'create', label: 'Create one for a bucket' },
          { value: 'existing', label: 'Use an existing role' },
        ]}
      />
      {roleMode === 'create' && (
        <>
          <TextField
            label="Role name"
            value={str(draft, 'iamRole.name')}
            onChange={(v) => set('iamRole.name', v)}
            messages={messages('iamRole.name')}
          />
          <TextField
            label="Bucket it may read and write"
            value={str(draft, 'iamRole.bucket')}
            onChange={(v) => set('iamRole.bucket', v)}
            messages={messages('iamRole.bucket')}
          />
        </>
      )}
      {roleMode === 'existing' && (
        <SelectField
          label="Role"
          value={str(draft, 'iamRole.arn')}
          onChange={(v) => set('iamRole.arn', v)}
          messages={messages('iamRole.arn')}
          options={[
            { value: '', label: options?.roles.redshiftCandidates.length ? 'Choose…' : 'No roles Redshift can assume' },
            ...(options?.roles.redshiftCandidates ?? []).map((r) => ({ value: r.arn, label: r.name })),
          ]}
        />
      )}
    </>
  );
}

/** A Redshift Serverless namespace (database, admin user, COPY role) and its workgroup (capacity in RPUs). */
export function ServerlessForm({ draft, set, messages, options }: FormProps) {
  const namespace = str(draft, 'namespaceName');
  const max = getPath(draft, 'maxCapacity');
  return (
    <>
      <TextField
        label="Namespace name"
        value={namespace}
        onChange={(v) => set('namespaceName', v)}
        messages={messages('namespaceName')}
        hint="3–64 lowercase letters, digits and hyphens."
      />
      <TextField
        label="Workgroup name"
        value={str(draft, 'workgroupName')}
        onChange={(v) => set('workgroupName', v)}
        messages={messages('workgroupName')}
        hint="3–64 lowercase letters, digits and hyphens."
      />
      <TextField
        label="Database name"
        value={str(draft, 'database', 'dev')}
        onChange={(v) => set('database', v)}
        messages={messages('database')}
      />
      <TextField
        label="Admin user name"
        value={str(draft, 'adminUsername', 'admin')}
        onChange={(v) => set('adminUsername', v)}
        messages={messages('adminUsername')}
      />
      <RadioField
        legend="Admin password"
        name="serverless-password"
        value={str(draft, 'password', 'generate')}
        onChange={(v) => set('password', v)}
        options={[
          { value: 'generate', label: 'Generate one (kept in the secret store, never shown)' },
          { value: 'managed', label: 'Managed by AWS Secrets Manager' },
        ]}
      />
      <NumberField
        label="Base capacity (RPUs)"
        value={num(draft, 'baseCapacity', SERVERLESS_CAPACITY.minBase)}
        onChange={(v) => set('baseCapacity', v)}
        messages={messages('baseCapacity')}
        min={SERVERLESS_CAPACITY.minBase}
        hint={`${SERVERLESS_CAPACITY.minBase} to ${SERVERLESS_CAPACITY.maxBase}, in steps of ${SERVERLESS_CAPACITY.step}.`}
      />
      <NumberField
        label="Max capacity (RPUs)"
        value={typeof max === 'number' ? max : undefined}
        onChange={(v) => set('maxCapacity', Number.isFinite(v) ? v : undefined)}
        messages={messages('maxCapacity')}
        min={SERVERLESS_CAPACITY.minBase}
        hint="Optional: the most it may scale to under load."
      />
      <CheckField
        label="Publicly accessible"
        checked={bool(draft, 'publiclyAccessible', false)}
        onChange={(v) => set('publiclyAccessible', v)}
        messages={messages('publiclyAccessible')}
      />
      <CopyRoleFields {...{ draft, set, messages, options }} baseName={namespace} />
    </>
  );
}

export function PipelineForm({ draft, set, messages, options }: FormProps) {
  const release = str(draft, 'releaseLabel', options?.defaultReleaseLabel ?? EMR_DEFAULT_RELEASE);
  return (
    <>
      <TextField
        label="Prefix"
        value={str(draft, 'prefix')}
        onChange={(v) => set('prefix', v)}
        messages={messages('prefix')}
        hint="Every name is derived from it; 3–20 lowercase letters, digits and hyphens."
      />
      <NumberField
        label="Stream shards"
        value={num(draft, 'shardCount', 1)}
        onChange={(v) => set('shardCount', v)}
        messages={messages('shardCount')}
        min={1}
      />
      <SelectField
        label="EMR release"
        value={release}
        onChange={(v) => set('releaseLabel', v)}
        messages={messages('releaseLabel')}
        options={releaseOptions(options, release)}
      />
      <SelectField
        label="EMR instance type"
        value={str(draft, 'emrInstanceType', 'm5.xlarge')}
        onChange={(v) => set('emrInstanceType', v)}
        messages={messages('emrInstanceType')}
        options={instanceTypeOptions(options)}
      />
      <NumberField
        label="EMR instances"
        value={num(draft, 'emrInstanceCount', 2)}
        onChange={(v) => set('emrInstanceCount', v)}
        messages={messages('emrInstanceCount')}
        min={1}
      />
      <SelectField
        label="Redshift node type"
        value={str(draft, 'redshiftNodeType', 'ra3.large')}
        onChange={(v) => set('redshiftNodeType', v)}
        messages={messages('redshiftNodeType')}
        options={nodeTypeOptions(options)}
      />
      <NumberField
        label="Redshift nodes"
        value={num(draft, 'redshiftNodeCount', 1)}
        onChange={(v) => set('redshiftNodeCount', v)}
        messages={messages('redshiftNodeCount')}
        min={1}
      />
      <TextField
        label="Database name"
        value={str(draft, 'database', 'dev')}
        onChange={(v) => set('database', v)}
        messages={messages('database')}
      />
    </>
  );
}
