// The editor core, its features (find, suggest, folding…) and the two SQL grammars; not the other 80 languages.
import * as monaco from 'monaco-editor/editor/editor.api';
import 'monaco-editor/features/register.all';
import 'monaco-editor/languages/definitions/pgsql/register';
import 'monaco-editor/languages/definitions/sql/register';
import EditorWorker from 'monaco-editor/editor/editor.worker?worker';

export type Dialect = 'redshift' | 'spark';

// Redshift speaks PostgreSQL's dialect; Spark SQL is closest to Monaco's generic SQL.
const languageOf: Record<Dialect, string> = { redshift: 'pgsql', spark: 'sql' };

self.MonacoEnvironment = { getWorker: () => new EditorWorker() };

export interface SqlEditor {
  setDialect(dialect: Dialect): void;
  setFontSize(size: number): void;
  dispose(): void;
}

function currentTheme(): string {
  return document.documentElement.dataset.theme === 'dark' ? 'vs-dark' : 'vs';
}

export function createSqlEditor(element: HTMLElement, text: string): SqlEditor {
  const model = monaco.editor.createModel(text, languageOf.redshift);
  const editor = monaco.editor.create(element, {
    model,
    theme: currentTheme(),
    automaticLayout: true,
    minimap: { enabled: false },
    scrollBeyondLastLine: false,
    ariaLabel: 'SQL editor',
  });
  // Follow the app theme as it changes.
  const observer = new MutationObserver(() => monaco.editor.setTheme(currentTheme()));
  observer.observe(document.documentElement, { attributes: true, attributeFilter: ['data-theme'] });
  return {
    setDialect: (dialect) => monaco.editor.setModelLanguage(model, languageOf[dialect]),
    setFontSize: (size) => editor.updateOptions({ fontSize: size }),
    dispose: () => {
      observer.disconnect();
      editor.dispose();
      model.dispose();
    },
  };
}
