import { useEffect, useMemo, useState } from 'react';
import {
  defaultSpec,
  provisionSpecSchema,
  type ProvisionIssue,
  type ProvisionOptions,
  type ProvisionPreview,
  type ProvisionSpecInput,
} from '../../../../shared/contract';
import type { AppError } from '../../../../shared/errors';
import { useClient } from '../../bridge/client-context';
import { toAppError } from '../../bridge/hooks';
import { ErrorMessage } from '../../components/ErrorMessage';
import type { FieldMessage } from './fields';
import { wizardTitles, type Draft, type FormProps, type WizardKind } from './form-model';
import { formatUsd, getPath, setPath } from './format';
import { EmrForm, KinesisForm, PipelineForm, RedshiftForm, S3Form, ServerlessForm, fieldPaths } from './forms';
import { FirehoseForm } from './FirehoseForm';
import { RunView, useProvisionRun, type RunState } from './run';

const PREVIEW_DELAY_MS = 350;

/** One wizard: fields checked on each keystroke with the contract's schemas, a debounced CLI + cost preview, then Create and its progress. */
export function Wizard({
  kind,
  options,
  onSettled,
}: {
  kind: WizardKind;
  options: ProvisionOptions | undefined;
  onSettled: (run: RunState) => void;
}) {
  const client = useClient();
  const [edited, setDraft] = useState<Draft>(() => defaultSpec(kind) as Draft);
  // The release picker shows the newest label `provision.options` found; the spec says so too until another is picked.
  const draft = useMemo(
    () =>
      (kind === 'emr' || kind === 'pipeline') && edited.releaseLabel === undefined && options
        ? { ...edited, releaseLabel: options.defaultReleaseLabel }
        : edited,
    [edited, kind, options],
  );
  const [preview, setPreview] = useState<ProvisionPreview>();
  const [previewError, setPreviewError] = useState<AppError>();
  /** The draft (as JSON) the preview and the account checks were made for. */
  const [previewedKey, setPreviewedKey] = useState<string>();
  const [checked, setChecked] = useState<{ key: string; issues: ProvisionIssue[] }>();
  const { run, start, cancel } = useProvisionRun(onSettled);
  const titles = wizardTitles[kind];

  const parsed = useMemo(() => provisionSpecSchema.safeParse(draft), [draft]);
  const localIssues = useMemo(
    () =>
      parsed.success ? [] : parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message, severity: 'error' as const })),
    [parsed],
  );
  const key = JSON.stringify(draft);
  const previewing = parsed.success && previewedKey !== key;
  // The account's answers count only for the draft they were asked about.
  const accountIssues = parsed.success && checked?.key === key ? checked.issues : undefined;
  const issues: ProvisionIssue[] = useMemo(() => [...localIssues, ...(accountIssues ?? [])], [localIssues, accountIssues]);
  const paths = fieldPaths[kind];
  /** The field an issue belongs to: the longest rendered path that starts it. */
  const owner = (path: string) => paths.filter((p) => path === p || path.startsWith(`${p}.`)).sort((a, b) => b.length - a.length)[0];
  const messages = (path: string): FieldMessage[] => issues.filter((i) => owner(i.path) === path);
  const unplaced = issues.filter((i) => owner(i.path) === undefined);
  const blocking = issues.some((i) => i.severity === 'error');

  useEffect(() => {
    if (!parsed.success) return;
    const controller = new AbortController();
    const timer = setTimeout(() => {
      const spec = JSON.parse(key) as ProvisionSpecInput;
      Promise.all([
        client.call('provision.preview', { spec }, controller.signal),
        client.call('provision.validate', { spec }, controller.signal).catch(() => ({ issues: [] as ProvisionIssue[] })),
      ])
        .then(([answer, account]) => {
          setPreview(answer);
          setChecked({ key, issues: account.issues });
          setPreviewError(undefined);
          setPreviewedKey(key);
        })
        .catch((caught: unknown) => {
          if (controller.signal.aborted) return;
          setPreviewError(toAppError(caught));
          setPreviewedKey(key);
        });
    }, PREVIEW_DELAY_MS);
    return () => {
      clearTimeout(timer);
      controller.abort();
    };
  }, [client, key, parsed.success]);

  const set = (path: string, value: unknown) => setDraft((d) => setPath(d, path, value));
  const create = () => {
    const spec = JSON.parse(key) as never;
    start(kind === 'pipeline' ? { op: 'provision.pipeline', input: { spec } } : { op: 'provision.create', input: { spec } });
  };
  const form: FormProps = { draft, set, messages, options, preview };
  const cost = preview?.cost;

  return (
    <form
      className="wizard"
      aria-label={`${titles.title} wizard`}
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        if (!blocking && run?.status !== 'running') create();
      }}
    >
      <div className="wizard-fields">
        {kind === 'kinesis' && <KinesisForm {...form} />}
        {kind === 's3' && <S3Form {...form} />}
        {kind === 'emr' && <EmrForm {...form} />}
        {kind === 'redshift' && <RedshiftForm {...form} />}
        {kind === 'redshift-serverless' && <ServerlessForm {...form} />}
        {kind === 'firehose' && <FirehoseForm {...form} />}
        {kind === 'pipeline' && <PipelineForm {...form} />}
        {unplaced.length > 0 && (
          <ul className="field-problems" aria-label="Other problems">
            {unplaced.map((i, n) => (
              <li key={n} className={i.severity === 'error' ? 'field-error' : 'field-warning'}>
                {i.path && <code>{i.path}</code>} {i.message}
              </li>
            ))}
          </ul>
        )}
      </div>

      <aside className="wizard-preview" aria-label="Preview" aria-busy={previewing || undefined}>
        <section aria-label="Hourly cost estimate">
          <h3>Estimated cost</h3>
          {cost && parsed.success ? (
            <>
              <p className="cost">
                {cost.usdPerHour > 0 || !cost.usdPerGbIngested ? (
                  <>
                    <strong>{formatUsd(cost.usdPerHour)}</strong> per hour
                    {cost.onlyWhileWorking ? (
                      ' while it works, nothing while idle'
                    ) : (
                      <>
                        {' '}
                        <span className="muted">({formatUsd(cost.usdPerHour * 24 * 30)} per 30 days)</span>
                      </>
                    )}
                  </>
                ) : null}
                {cost.usdPerGbIngested ? (
                  <>
                    {cost.usdPerHour > 0 ? ' + ' : ''}
                    <strong>{formatUsd(cost.usdPerGbIngested)}</strong> per GB ingested
                  </>
                ) : null}
              </p>
              <ul className="plain small">
                {cost.basis.map((line, i) => (
                  <li key={i}>{line}</li>
                ))}
              </ul>
              <p className="muted small">
                On-demand prices for {cost.pricedRegion}
                {cost.pricedRegion !== cost.region ? ` (none listed for ${cost.region})` : ''}, price table of {cost.priceTableDate} (
                {cost.priceTableSource}).
              </p>
            </>
          ) : (
            <p className="muted">{parsed.success ? 'Working it out…' : 'Fix the fields marked in red to see the cost.'}</p>
          )}
        </section>
        {preview && parsed.success && preview.names && (
          <section aria-label="Names">
            <h3>Names</h3>
            <dl className="names">
              {Object.entries(preview.names).map(([what, name]) => (
                <div key={what}>
                  <dt>{wizardTitles[what as WizardKind]?.title ?? what}</dt>
                  <dd>
                    <code>{name}</code>
                  </dd>
                </div>
              ))}
            </dl>
          </section>
        )}
        <section aria-label="AWS CLI equivalent">
          <h3>AWS CLI equivalent</h3>
          {preview && parsed.success ? <pre className="cli">{preview.cli}</pre> : <p className="muted">Shown once every field is valid.</p>}
        </section>
        {preview && parsed.success && preview.warnings.length > 0 && (
          <ul className="field-problems" aria-label="Warnings">
            {preview.warnings.map((w, i) => (
              <li key={i} className="field-warning">
                {w}
              </li>
            ))}
          </ul>
        )}
        <ErrorMessage error={previewError} />
      </aside>

      <div className="wizard-actions">
        <button type="submit" className="primary" disabled={blocking || run?.status === 'running'}>
          {titles.create}
        </button>
        {blocking && <span className="muted">Fix the marked fields first.</span>}
      </div>
      {run && <RunView run={run} label={`${titles.title} progress`} onCancel={cancel} />}
    </form>
  );
}

export { getPath };
