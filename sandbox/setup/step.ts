export interface StepProgress {
  message?: string;
  bytesDone?: number;
  bytesTotal?: number;
}

/** One idempotent piece of first-start setup; a later start skips what is done. */
export interface SetupStep {
  id: string;
  label: string;
  done(): Promise<boolean>;
  run(progress: (p: StepProgress) => void, signal: AbortSignal): Promise<void>;
}
