// The editor core, its features (find, suggest, folding…) and the two SQL grammars; not the other 80 languages.
import * as monaco from 'monaco-editor/editor/editor.api';
import 'monaco-editor/features/register.all';
import 'monaco-editor/languages/definitions/pgsql/register';
import 'monaco-editor/languages/definitions/sql/register';
import EditorWorker from 'monaco-editor/editor/editor.worker?worker';
import { format } from 'sql-formatter';
import type { SchemaTree, SqlDialect, TextPosition } from '../../../../shared/contract';
import { splitStatements } from '../../../../shared/sql/split';

export type Dialect = SqlDialect;

// Redshift speaks PostgreSQL's dialect; Spark SQL is closest to Monaco's generic SQL.
const languageOf: Record<Dialect, string> = { redshift: 'pgsql', spark: 'sql' };
/** sql-formatter's name for each dialect. */
const formatterOf = { redshift: 'redshift', spark: 'spark' } as const satisfies Record<Dialect, string>;

self.MonacoEnvironment = { getWorker: () => new EditorWorker() };

export interface RunTarget {
  sql: string;
  /** Where `sql` starts in the editor (1-based), so the server's error positions land in the right place. */
  origin: TextPosition;
}

export interface SqlEditor {
  setDialect(dialect: Dialect): void;
  setFontSize(size: number): void;
  getText(): string;
  setText(text: string): void;
  /** Gives back the unsubscribe, so an effect can hand it to React as its clean-up. */
  onChange(listener: (text: string) => void): () => void;
  /** Ctrl/Cmd+Enter runs the statement (or selection), Shift+Ctrl/Cmd+Enter the script. Gives back the unsubscribe. */
  onRun(listener: (mode: 'statement' | 'script') => void): () => void;
  runTarget(mode: 'statement' | 'script'): RunTarget | undefined;
  markError(at: TextPosition, message: string): void;
  clearMarks(): void;
  formatText(): void;
  focus(): void;
  dispose(): void;
}

function currentTheme(): string {
  return document.documentElement.dataset.theme === 'dark' ? 'vs-dark' : 'vs';
}

const KEYWORDS = [
  'SELECT',
  'FROM',
  'WHERE',
  'GROUP BY',
  'ORDER BY',
  'HAVING',
  'LIMIT',
  'JOIN',
  'LEFT JOIN',
  'INNER JOIN',
  'ON',
  'AS',
  'AND',
  'OR',
  'NOT',
  'IN',
  'IS NULL',
  'COUNT',
  'SUM',
  'AVG',
  'MIN',
  'MAX',
  'DISTINCT',
  'CASE',
  'WHEN',
  'THEN',
  'ELSE',
  'END',
  'WITH',
  'UNION ALL',
  'INSERT INTO',
  'VALUES',
  'UPDATE',
  'DELETE FROM',
  'CREATE TABLE',
  'CREATE EXTERNAL TABLE',
  'DROP TABLE',
  'ALTER TABLE',
  'EXPLAIN',
  'COPY',
  'UNLOAD',
  'DISTKEY',
  'SORTKEY',
  'PARTITIONED BY',
  'STORED AS',
  'LOCATION',
  'date_trunc',
];

/** What autocomplete offers: the active connection's schema, shared by every editor instance. */
let completionSchema: SchemaTree | undefined;
export function setCompletionSchema(schema: SchemaTree | undefined): void {
  completionSchema = schema;
}

for (const language of Object.values(languageOf)) {
  monaco.languages.registerCompletionItemProvider(language, {
    triggerCharacters: ['.'],
    provideCompletionItems(model, position) {
      const word = model.getWordUntilPosition(position);
      const range = {
        startLineNumber: position.lineNumber,
        endLineNumber: position.lineNumber,
        startColumn: word.startColumn,
        endColumn: word.endColumn,
      };
      const before = model.getValueInRange({
        startLineNumber: position.lineNumber,
        startColumn: 1,
        endLineNumber: position.lineNumber,
        endColumn: word.startColumn,
      });
      const qualifier = /([A-Za-z_][\w$]*)\.$/.exec(before)?.[1]?.toLowerCase();
      const { Keyword, Module, Class, Field } = monaco.languages.CompletionItemKind;
      const suggestions: monaco.languages.CompletionItem[] = [];
      for (const schema of completionSchema?.schemas ?? []) {
        if (qualifier === schema.name.toLowerCase()) {
          for (const table of schema.tables)
            suggestions.push({ label: table.name, kind: Class, insertText: table.name, range, detail: table.kind });
          continue;
        }
        for (const table of schema.tables) {
          if (qualifier === table.name.toLowerCase()) {
            for (const column of table.columns)
              suggestions.push({ label: column.name, kind: Field, insertText: column.name, range, detail: column.type });
          } else if (!qualifier) {
            suggestions.push({ label: table.name, kind: Class, insertText: table.name, range, detail: `${schema.name} · ${table.kind}` });
            for (const column of table.columns)
              suggestions.push({
                label: column.name,
                kind: Field,
                insertText: column.name,
                range,
                detail: `${table.name}.${column.name} ${column.type}`,
                sortText: `z${column.name}`,
              });
          }
        }
        if (!qualifier) suggestions.push({ label: schema.name, kind: Module, insertText: schema.name, range, detail: 'schema' });
      }
      if (!qualifier)
        for (const keyword of KEYWORDS)
          suggestions.push({ label: keyword, kind: Keyword, insertText: keyword, range, sortText: `y${keyword}` });
      return { suggestions };
    },
  });
}

export function createSqlEditor(element: HTMLElement, text: string): SqlEditor {
  let dialect: Dialect = 'redshift';
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
  let runListener: ((mode: 'statement' | 'script') => void) | undefined;
  editor.addCommand(monaco.KeyMod.CtrlCmd | monaco.KeyCode.Enter, () => runListener?.('statement'));
  editor.addCommand(monaco.KeyMod.CtrlCmd | monaco.KeyMod.Shift | monaco.KeyCode.Enter, () => runListener?.('script'));
  const markOwner = 'tributary-run';

  return {
    setDialect: (next) => {
      dialect = next;
      monaco.editor.setModelLanguage(model, languageOf[next]);
    },
    setFontSize: (size) => editor.updateOptions({ fontSize: size }),
    getText: () => model.getValue(),
    setText: (value) => {
      if (value !== model.getValue()) model.setValue(value);
    },
    onChange: (listener) => {
      const subscription = model.onDidChangeContent(() => listener(model.getValue()));
      return () => subscription.dispose();
    },
    onRun: (listener) => {
      runListener = listener;
      return () => {
        if (runListener === listener) runListener = undefined;
      };
    },
    runTarget: (mode) => {
      const selection = editor.getSelection();
      if (mode === 'statement' && selection && !selection.isEmpty()) {
        return { sql: model.getValueInRange(selection), origin: { line: selection.startLineNumber, column: selection.startColumn } };
      }
      const whole = model.getValue();
      if (mode === 'script') return whole.trim() ? { sql: whole, origin: { line: 1, column: 1 } } : undefined;
      // The statement under the cursor, or the one just before it when the cursor sits after its semicolon.
      const cursor = model.getOffsetAt(editor.getPosition() ?? { lineNumber: 1, column: 1 });
      const statements = splitStatements(whole, dialect);
      const chosen = statements.filter((s) => s.offset <= cursor).pop() ?? statements[0];
      return chosen ? { sql: chosen.sql, origin: chosen.start } : undefined;
    },
    markError: (at, message) => {
      monaco.editor.setModelMarkers(model, markOwner, [
        {
          startLineNumber: at.line,
          startColumn: at.column,
          endLineNumber: at.line,
          endColumn: model.getWordAtPosition({ lineNumber: at.line, column: at.column })?.endColumn ?? at.column + 1,
          message,
          severity: monaco.MarkerSeverity.Error,
        },
      ]);
      editor.revealLineInCenterIfOutsideViewport(at.line);
      editor.setPosition({ lineNumber: at.line, column: at.column });
    },
    clearMarks: () => monaco.editor.setModelMarkers(model, markOwner, []),
    formatText: () => {
      const formatted = format(model.getValue(), { language: formatterOf[dialect], keywordCase: 'upper' });
      editor.executeEdits('format', [{ range: model.getFullModelRange(), text: formatted }]);
    },
    focus: () => editor.focus(),
    dispose: () => {
      observer.disconnect();
      editor.dispose();
      model.dispose();
    },
  };
}
