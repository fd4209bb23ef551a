import { describe, expect, it } from 'vitest';
import { redshiftHealth } from '../../renderer/src/sections/pipeline/health.js';
import { visible } from '../../renderer/src/sections/pipeline/format.js';

const load = { queryId: '1', table: 'access_logs', startTime: '2026-12-07T10:00:00.000Z', rows: 0 };

describe('the Redshift stage', () => {
  it('is red for an aborted load, with its first load error as the reason', () => {
    expect(
      redshiftHealth('w', {
        read: true,
        last: { ...load, status: 'aborted', errors: 1, error: 'Invalid null byte - field longer than 1 byte' },
      }),
    ).toEqual({ health: 'red', reason: 'Last load into access_logs aborted (1 load error: Invalid null byte - field longer than 1 byte)' });
    expect(redshiftHealth('w', { read: true, last: { ...load, status: 'aborted', errors: 0 } })).toEqual({
      health: 'red',
      reason: 'Last load into access_logs aborted',
    });
    expect(redshiftHealth('w', { read: true, last: { ...load, status: 'running', errors: 0 } }).health).toBe('amber');
  });
});

describe('a rejected line as the Pipeline view shows it', () => {
  it('shows control characters as \\xHH instead of sending them to the page', () => {
    expect(visible('\u0000\u0001garbage\u00ff1.2.3.4 \u001b[31m')).toBe('\\x00\\x01garbage\u00ff1.2.3.4 \\x1b[31m');
  });
});
