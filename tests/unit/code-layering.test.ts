import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { ESLint } from 'eslint';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..', '..');

/** The project's own ESLint configuration, as `npm run lint` runs it. */
async function lint(filePath: string, code: string) {
  const eslint = new ESLint({ cwd: root });
  const [result] = await eslint.lintText(code, { filePath: join(root, filePath) });
  return result!.messages.filter((m) => m.ruleId === 'local/code-layering').map((m) => m.message);
}

describe('layers of the core (lint rule local/code-layering)', () => {
  it('refuses an import from a higher layer', async () => {
    const messages = await lint(
      'electron/core/aws/probe.ts',
      "import { Connections } from '../workbench/connections.js';\nexport { Connections };\n",
    );
    expect(messages).toHaveLength(1);
    expect(messages[0]).toContain('(infrastructure) may not import electron/core/workbench/connections.ts (domains)');
  });

  it('refuses one domain importing another, re-exports and dynamic imports included', async () => {
    const messages = await lint(
      'electron/core/ingest/probe.ts',
      "export { ProvisionService } from '../provision/service.js';\nexport const later = () => import('../pipeline/service.js');\n",
    );
    expect(messages).toHaveLength(2);
    expect(messages.every((m) => m.includes('may not import another domains room'))).toBe(true);
  });

  it('refuses a file of the core that no layer holds', async () => {
    expect(await lint('electron/core/misc/probe.ts', 'export const x = 1;\n')).toEqual([
      'electron/core/misc/probe.ts is in no layer: add its folder to the table in .eslint-plugin-local/code-layering.js.',
    ]);
  });

  it('lets a layer import itself and the layers below', async () => {
    const code = [
      "import { AppError } from '../../../shared/errors.js';",
      "import { sleep } from '../../../shared/node/sleep.js';",
      "import { AwsScope } from '../aws/clients.js';",
      "import { JsonFile } from '../storage/json-file.js';",
      "import { ResultRegistry } from '../results/registry.js';",
      "import { history } from './history.js';",
      'export { AppError, sleep, AwsScope, JsonFile, ResultRegistry, history };',
    ].join('\n');
    expect(await lint('electron/core/workbench/probe.ts', code)).toEqual([]);
  });
});

function sources(dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && /\.tsx?$/.test(e.name) && !e.name.endsWith('.d.ts'))
    .map((e) => relative(root, join(e.parentPath, e.name)));
}

/** Every relative import (types included: a type cycle is still two modules that cannot be understood apart). */
function importsOf(file: string, known: Set<string>): string[] {
  const info = ts.preProcessFile(readFileSync(join(root, file), 'utf8'), true, true);
  return info.importedFiles
    .map((i) => i.fileName)
    .filter((spec) => spec.startsWith('.'))
    .map((spec) => relative(root, resolve(root, dirname(file), spec)).replace(/\.js$/, ''))
    .map((base) => [`${base}.ts`, `${base}.tsx`, base].find((c) => known.has(c)))
    .filter((f): f is string => f !== undefined);
}

/** Strongly connected components of more than one file (Tarjan), each a cycle to break. */
function cycles(graph: Map<string, string[]>): string[][] {
  let index = 0;
  const indices = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string) => {
    indices.set(v, index);
    low.set(v, index++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!indices.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, indices.get(w)!));
    }
    if (low.get(v) === indices.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || (graph.get(v) ?? []).includes(v)) found.push(component.sort());
    }
  };
  for (const v of graph.keys()) if (!indices.has(v)) visit(v);
  return found;
}

describe('import graph', () => {
  it('has no cycles in the main process, shared/, the sandbox or the renderer', () => {
    const files = ['electron', 'shared', 'sandbox', 'renderer/src'].flatMap((d) => {
      try {
        return sources(d);
      } catch {
        return [];
      }
    });
    const known = new Set(files);
    const graph = new Map(files.map((f) => [f, importsOf(f, known)]));
    expect(cycles(graph)).toEqual([]);
  });

  it('finds a cycle when there is one', () => {
    expect(
      cycles(
        new Map([
          ['a', ['b']],
          ['b', ['c']],
          ['c', ['a']],
          ['d', ['a']],
        ]),
      ),
    ).toEqual([['a', 'b', 'c']]);
  });
});
