import { useCallback, useState } from 'react';
import { useCall } from '../bridge/hooks';
import { ErrorMessage } from '../components/ErrorMessage';
import { Inventory } from './provision/Inventory';
import type { RunState } from './provision/run';
import { wizardTitles, type WizardKind } from './provision/form-model';
import { Wizard } from './provision/Wizard';

const kinds: WizardKind[] = ['kinesis', 's3', 'emr', 'redshift', 'redshift-serverless', 'firehose', 'pipeline'];

export default function Provision() {
  const options = useCall('provision.options', {});
  const [current, setCurrent] = useState<WizardKind>('kinesis');
  const [refreshKey, setRefreshKey] = useState(0);
  const { reload } = options;

  // A finished or failed run changes what exists: read the inventory (and the pickers) again.
  const onSettled = useCallback(
    (_run: RunState) => {
      setRefreshKey((k) => k + 1);
      reload();
    },
    [reload],
  );

  const env = options.data?.environment;
  return (
    <div className="provision">
      <ErrorMessage error={options.error} />
      {env && (
        <p className="muted">
          Creating in {env.kind === 'sandbox' ? 'the local sandbox' : `AWS account ${options.data?.accountId ?? ''}`}, region {env.region}.
          Every resource is tagged as Tributary’s.
          {options.data && options.data.problems.length > 0 && ` Some lists are incomplete: ${options.data.problems.join('; ')}`}
        </p>
      )}
      <section className="panel" aria-label="Create">
        <div role="tablist" aria-label="What to create" className="wizard-tabs">
          {kinds.map((kind) => (
            <button
              key={kind}
              type="button"
              role="tab"
              id={`wizard-tab-${kind}`}
              aria-selected={current === kind}
              aria-controls={`wizard-panel-${kind}`}
              tabIndex={current === kind ? 0 : -1}
              onClick={() => setCurrent(kind)}
              onKeyDown={(e) => {
                const step = e.key === 'ArrowRight' ? 1 : e.key === 'ArrowLeft' ? -1 : 0;
                if (!step) return;
                const next = kinds[(kinds.indexOf(kind) + step + kinds.length) % kinds.length]!;
                setCurrent(next);
                document.getElementById(`wizard-tab-${next}`)?.focus();
              }}
            >
              {wizardTitles[kind].title}
            </button>
          ))}
        </div>
        {/* Every wizard stays mounted, so a run keeps following its stream while another tab is shown. */}
        {kinds.map((kind) => (
          <div key={kind} role="tabpanel" id={`wizard-panel-${kind}`} aria-labelledby={`wizard-tab-${kind}`} hidden={current !== kind}>
            <Wizard kind={kind} options={options.data} onSettled={onSettled} />
          </div>
        ))}
      </section>
      <Inventory refreshKey={refreshKey} />
    </div>
  );
}
