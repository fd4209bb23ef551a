import { useId, type ReactNode } from 'react';

/** The messages for one field, shown under it and tied to it with aria-describedby. */
function Problems({ id, messages }: { id: string; messages: { message: string; severity: 'error' | 'warning' }[] }) {
  if (messages.length === 0) return null;
  return (
    <span id={id} className="field-problems">
      {messages.map((m, i) => (
        <span key={i} className={m.severity === 'error' ? 'field-error' : 'field-warning'}>
          {m.message}
        </span>
      ))}
    </span>
  );
}

export interface FieldMessage {
  message: string;
  severity: 'error' | 'warning';
}

interface Common {
  label: string;
  messages?: FieldMessage[];
  hint?: ReactNode;
}

export function TextField({
  label,
  value,
  onChange,
  messages = [],
  hint,
  placeholder,
  wide,
}: Common & { value: string; onChange: (value: string) => void; placeholder?: string; wide?: boolean }) {
  const id = useId();
  const invalid = messages.some((m) => m.severity === 'error');
  return (
    <div className={wide ? 'field wide' : 'field'}>
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        value={value}
        placeholder={placeholder}
        spellCheck={false}
        autoComplete="off"
        aria-invalid={invalid || undefined}
        aria-describedby={messages.length ? `${id}-problems` : undefined}
        onChange={(e) => onChange(e.target.value)}
      />
      {hint && <span className="field-hint muted">{hint}</span>}
      <Problems id={`${id}-problems`} messages={messages} />
    </div>
  );
}

/** A number input: empty or not a number becomes NaN so the schema says what is wrong. */
export function NumberField({
  label,
  value,
  onChange,
  messages = [],
  hint,
  min,
  max,
}: Common & { value: number | undefined; onChange: (value: number) => void; min?: number; max?: number }) {
  const id = useId();
  const invalid = messages.some((m) => m.severity === 'error');
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        type="number"
        value={value === undefined || Number.isNaN(value) ? '' : value}
        min={min}
        max={max}
        aria-invalid={invalid || undefined}
        aria-describedby={messages.length ? `${id}-problems` : undefined}
        onChange={(e) => onChange(e.target.value === '' ? Number.NaN : Number(e.target.value))}
      />
      {hint && <span className="field-hint muted">{hint}</span>}
      <Problems id={`${id}-problems`} messages={messages} />
    </div>
  );
}

export function SelectField({
  label,
  value,
  onChange,
  options,
  messages = [],
  hint,
}: Common & { value: string; onChange: (value: string) => void; options: { value: string; label: string }[] }) {
  const id = useId();
  const invalid = messages.some((m) => m.severity === 'error');
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <select
        id={id}
        value={value}
        aria-invalid={invalid || undefined}
        aria-describedby={messages.length ? `${id}-problems` : undefined}
        onChange={(e) => onChange(e.target.value)}
      >
        {options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
      {hint && <span className="field-hint muted">{hint}</span>}
      <Problems id={`${id}-problems`} messages={messages} />
    </div>
  );
}

export function CheckField({ label, checked, onChange, messages = [] }: Common & { checked: boolean; onChange: (value: boolean) => void }) {
  const id = useId();
  return (
    <div className="field check">
      <label>
        <input
          type="checkbox"
          checked={checked}
          aria-describedby={messages.length ? `${id}-problems` : undefined}
          onChange={(e) => onChange(e.target.checked)}
        />{' '}
        {label}
      </label>
      <Problems id={`${id}-problems`} messages={messages} />
    </div>
  );
}

/** A row of radio buttons in a fieldset named by its legend. */
export function RadioField({
  legend,
  name,
  value,
  onChange,
  options,
}: {
  legend: string;
  name: string;
  value: string;
  onChange: (value: string) => void;
  options: { value: string; label: string }[];
}) {
  return (
    <fieldset className="field radios">
      <legend>{legend}</legend>
      {options.map((o) => (
        <label key={o.value}>
          <input type="radio" name={name} value={o.value} checked={value === o.value} onChange={() => onChange(o.value)} /> {o.label}
        </label>
      ))}
    </fieldset>
  );
}
