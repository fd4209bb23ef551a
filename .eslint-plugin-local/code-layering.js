// @ts-check
import { dirname, relative, resolve } from 'node:path';

/**
 * Layers inside the app, bottom to top, in the style of VS Code's `code-layering`
 * rule: a file may import from its own layer and the layers below it, never from
 * one above. Within the domain layer each domain is its own room: a domain takes
 * what it needs from another through a port it declares, wired in the
 * composition root, so it never imports another domain.
 * Globs are matched against paths relative to the repository root.
 */
export const layers = [
  { name: 'shared', paths: ['shared/'] },
  {
    name: 'infrastructure',
    paths: [
      'electron/core/aws/',
      'electron/core/ssh/',
      'electron/core/storage/',
      'electron/core/secrets/',
      'electron/core/dispatch/',
      'electron/core/security/',
      'electron/core/events.ts',
      'sandbox/client/',
    ],
  },
  { name: 'engines and results', paths: ['electron/core/engines/', 'electron/core/results/'] },
  {
    name: 'domains',
    rooms: true,
    paths: [
      'electron/core/workbench/',
      'electron/core/pipeline/',
      'electron/core/ingest/',
      'electron/core/provision/',
      'electron/core/sessions/',
      'electron/core/environments/',
      'electron/core/warehouse/',
    ],
  },
  { name: 'composition root', paths: ['electron/core/core.ts'] },
  { name: 'hosts', paths: ['electron/main/', 'electron/preload/', 'electron/web/', 'electron/cli/', 'electron/supervisor/'] },
];

/** @param {string} path repository-relative, with forward slashes */
export function placeOf(path) {
  for (let level = 0; level < layers.length; level++) {
    const layer = layers[level];
    for (const prefix of layer.paths) {
      if (prefix.endsWith('/') ? path.startsWith(prefix) : path === prefix) return { level, layer, room: prefix };
    }
  }
  return undefined;
}

/** @type {import('eslint').Rule.RuleModule} */
export const codeLayering = {
  meta: {
    type: 'problem',
    docs: { description: 'Imports go down the layers of the core, never up, and never from one domain into another.' },
    schema: [],
    messages: {
      upward: '{{from}} ({{fromLayer}}) may not import {{to}} ({{toLayer}}): layers import only from themselves and below.',
      sideways: '{{from}} may not import another {{layer}} room, {{to}}: declare a port in {{fromRoom}} and wire it in core.ts.',
      unplaced: '{{from}} is in no layer: add its folder to the table in .eslint-plugin-local/code-layering.js.',
    },
  },
  create(context) {
    const root = context.cwd;
    const file = relative(root, context.filename).split('\\').join('/');
    const from = placeOf(file);
    if (!from) {
      if (!file.startsWith('electron/core/')) return {};
      return { Program: (node) => context.report({ node, messageId: 'unplaced', data: { from: file } }) };
    }
    /** @param {import('estree').Node & { source?: import('estree').Node | null }} node */
    const check = (node) => {
      const source = node.source;
      if (!source || source.type !== 'Literal' || typeof source.value !== 'string' || !source.value.startsWith('.')) return;
      const target = relative(root, resolve(dirname(context.filename), source.value))
        .split('\\')
        .join('/')
        .replace(/\.js$/, '.ts');
      const to = placeOf(target) ?? placeOf(target.replace(/\.ts$/, '.tsx'));
      if (!to) return;
      if (to.level > from.level) {
        context.report({
          node: source,
          messageId: 'upward',
          data: { from: file, fromLayer: from.layer.name, to: target, toLayer: to.layer.name },
        });
      } else if (to.level === from.level && from.layer.rooms && to.room !== from.room) {
        context.report({
          node: source,
          messageId: 'sideways',
          data: { from: file, layer: from.layer.name, to: target, fromRoom: from.room },
        });
      }
    };
    return { ImportDeclaration: check, ExportNamedDeclaration: check, ExportAllDeclaration: check, ImportExpression: check };
  },
};

export default { rules: { 'code-layering': codeLayering } };
