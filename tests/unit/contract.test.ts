import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { assembleHandlers } from '../../electron/core/dispatch/handlers.js';
import { call, contract, defineContract, operationNames } from '../../shared/contract/index.js';
import { testCore } from '../helpers/core.js';

describe('the contract', () => {
  it('declares every operation once, with a schema, a kind and an input bound', () => {
    expect(operationNames.length).toBeGreaterThan(5);
    for (const name of operationNames) {
      const op = contract[name];
      expect(name).toMatch(/^[a-z]+\.[a-zA-Z]+$/);
      expect(['call', 'stream']).toContain(op.kind);
      expect(op.input).toBeInstanceOf(z.ZodType);
      expect(op.maxInputBytes).toBeGreaterThan(0);
    }
  });

  it('refuses a name declared twice at start-up', () => {
    const op = call<number>()({ summary: 'x', input: z.object({}) });
    expect(() => defineContract({ 'a.b': { c: op }, a: { 'b.c': op } })).toThrow(/declared twice: a\.b\.c/);
  });

  it('fails at start-up when two services claim one operation, or one has no handler', async () => {
    const core = await testCore();
    const info = { 'app.info': core.handlers['app.info'] };
    expect(() => assembleHandlers([core.handlers, info])).toThrow(/Two handlers for operation app\.info/);
    const { 'settings.get': _dropped, ...rest } = core.handlers;
    expect(() => assembleHandlers([rest])).toThrow(/No handler for operation\(s\): settings\.get/);
  });
});
