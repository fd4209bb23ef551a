import type { Page } from 'playwright-core';
import { expect } from 'vitest';

/**
 * The Pipeline section's parts as an operator finds them: by role and name, and each stage by its id.
 * `page` is asked on each use, so the parts can be named before the page is opened.
 */
export function pipelineView(page: () => Page) {
  const pipeline = () => page().getByRole('region', { name: 'Pipeline' });
  const counter = (name: string) => page().locator(`[data-counter="${name}"] dd`);
  const tab = (name: string) => page().getByRole('tablist', { name: 'Pipeline details' }).getByRole('tab', { name });
  return {
    pipeline,
    picker: () => page().getByRole('form', { name: 'Pipeline resources' }),
    tab,
    /** An ingest counter's value as a number (the page prints it with thousands separators). */
    asNumber: async (name: string) => Number((await counter(name).textContent())?.replace(/,/g, '') ?? NaN),
    stage: (id: string) => pipeline().locator(`.pipeline-stage[data-stage="${id}"]`),
    /**
     * Submits a job from the Spark jobs tab, follows it to COMPLETED (a FAILED or CANCELLED run fails at once,
     * with its log) and gives its summary. `bound` caps each wait (a story's remaining time); `shot` takes screenshots.
     */
    async runJob(
      job: 'kinesis_to_s3' | 'raw_to_parquet',
      options: { within: number; bound?: (ms: number) => number; shot: (name: string) => Promise<void> },
    ): Promise<Record<string, unknown>> {
      const bound = options.bound ?? ((ms: number) => ms);
      await tab('Spark jobs').click();
      const submit = page().getByRole('region', { name: 'Submit a Spark job' });
      await submit.getByRole('combobox', { name: 'Job' }).selectOption(job);
      if (job === 'kinesis_to_s3') await submit.getByRole('spinbutton', { name: /Stop when idle/ }).fill('5');
      await submit.getByRole('button', { name: 'Submit' }).click();
      const followed = page().getByRole('region', { name: 'Followed run' });
      await expect
        .poll(() => followed.getByRole('heading').first().textContent(), { timeout: bound(60_000) })
        .toMatch(new RegExp(`^${job} s-`));
      const state = followed.getByRole('status', { name: 'Run state' });
      await expect.poll(() => state.textContent(), { timeout: bound(60_000) }).toMatch(/PENDING|RUNNING|COMPLETED/);
      await options.shot(`${job}-running`);
      await expect
        .poll(
          async () => {
            const now = (await state.textContent()) ?? '';
            if (/FAILED|CANCELLED|INTERRUPTED/.test(now)) throw new Error(`${job} ended ${now}:\n${await followed.textContent()}`);
            return now;
          },
          { timeout: bound(options.within), interval: 1_000 },
        )
        .toBe('COMPLETED');
      await expect
        .poll(() => followed.getByRole('log', { name: 'stdout' }).textContent(), { timeout: bound(60_000) })
        .toMatch(new RegExp(`${job}: \\d+`));
      expect(await followed.textContent()).toMatch(/Spark UI:/);
      await followed.getByLabel('Job summary').waitFor({ timeout: bound(60_000) });
      const summary = JSON.parse((await followed.getByLabel('Job summary').textContent()) ?? '{}') as Record<string, unknown>;
      await options.shot(`${job}-completed`);
      return summary;
    },
  };
}
