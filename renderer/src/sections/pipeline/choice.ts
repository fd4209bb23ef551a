/**
 * Which stream, bucket, EMR cluster and Redshift connection make up "the
 * pipeline" on this screen. No contract operation stores it, so it is a
 * UI-only choice kept in localStorage, per environment.
 */
export interface PipelineChoice {
  stream?: string;
  bucket?: string;
  clusterId?: string;
  connectionId?: string;
  /** A Firehose delivery stream: the path beside the Spark jobs'. */
  firehose?: string;
}

const KEY = 'tributary.pipeline.choice';

function all(): Record<string, PipelineChoice> {
  try {
    const parsed: unknown = JSON.parse(localStorage.getItem(KEY) ?? '{}');
    return parsed && typeof parsed === 'object' ? (parsed as Record<string, PipelineChoice>) : {};
  } catch {
    return {};
  }
}

export function loadChoice(environmentId: string): PipelineChoice {
  return all()[environmentId] ?? {};
}

export function saveChoice(environmentId: string, choice: PipelineChoice): void {
  try {
    localStorage.setItem(KEY, JSON.stringify({ ...all(), [environmentId]: choice }));
  } catch {
    // Storage full or disabled: the choice lasts for this view only.
  }
}
