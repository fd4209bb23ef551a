import { useEffect, useRef, useState } from 'react';
import { useSettings } from '../shell/settings-context';
import { createSqlEditor, type Dialect, type SqlEditor } from './workbench/monaco';

const dialects: { id: Dialect; label: string }[] = [
  { id: 'redshift', label: 'Redshift' },
  { id: 'spark', label: 'Spark SQL' },
];

export default function Workbench() {
  const host = useRef<HTMLDivElement>(null);
  const editor = useRef<SqlEditor | null>(null);
  const [dialect, setDialect] = useState<Dialect>('redshift');
  const { settings } = useSettings();
  const fontSize = settings?.editorFontSize ?? 13;

  useEffect(() => {
    if (!host.current) return;
    const created = createSqlEditor(host.current, '-- Redshift\nSELECT date_trunc(\'hour\', ts) AS hour, count(*)\nFROM access_logs\nGROUP BY 1\nORDER BY 1;\n');
    editor.current = created;
    return () => {
      created.dispose();
      editor.current = null;
    };
  }, []);

  useEffect(() => editor.current?.setDialect(dialect), [dialect]);
  useEffect(() => editor.current?.setFontSize(fontSize), [fontSize]);

  return (
    <section aria-label="SQL editor" className="workbench">
      <div className="toolbar" role="toolbar" aria-label="Editor">
        <label>
          Dialect{' '}
          <select value={dialect} onChange={(e) => setDialect(e.target.value as Dialect)}>
            {dialects.map((d) => (
              <option key={d.id} value={d.id}>
                {d.label}
              </option>
            ))}
          </select>
        </label>
        <span className="muted">Queries run once a Redshift or Spark SQL connection is set up.</span>
      </div>
      <div ref={host} className="editor" role="region" aria-label="SQL text" />
    </section>
  );
}
