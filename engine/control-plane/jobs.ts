// Jobs as the portal shows them: each operation on a protected item or a recovery plan is a
// job with steps, a status, and timings. The job log is what a report draws as failover phases.
import type { Instant } from '../../model/index.js';

export type JobStatus = 'in-progress' | 'succeeded' | 'failed' | 'cancelled' | 'waiting-for-action';

export interface JobStep {
  readonly name: string;
  readonly startedAt: Instant;
  endedAt: Instant | null;
  status: JobStatus;
  error?: string;
}

export interface Job {
  readonly id: number;
  readonly kind: string;
  readonly target: string;
  readonly startedAt: Instant;
  endedAt: Instant | null;
  status: JobStatus;
  error?: string;
  readonly steps: JobStep[];
  /** Operation-specific results (data loss window, recovery point used...). */
  readonly facts: Record<string, unknown>;
}

export class JobLog {
  private readonly jobs: Job[] = [];

  constructor(private readonly now: () => Instant) {}

  start(kind: string, target: string): Job {
    const job: Job = { id: this.jobs.length + 1, kind, target, startedAt: this.now(), endedAt: null, status: 'in-progress', steps: [], facts: {} };
    this.jobs.push(job);
    return job;
  }

  step(job: Job, name: string): JobStep {
    const previous = job.steps[job.steps.length - 1];
    if (previous !== undefined && previous.status === 'in-progress') this.endStep(previous, 'succeeded');
    const step: JobStep = { name, startedAt: this.now(), endedAt: null, status: 'in-progress' };
    job.steps.push(step);
    return step;
  }

  endStep(step: JobStep, status: JobStatus, error?: string): void {
    step.status = status;
    step.endedAt = this.now();
    if (error !== undefined) step.error = error;
  }

  finish(job: Job, status: Exclude<JobStatus, 'in-progress'>, error?: string): void {
    const last = job.steps[job.steps.length - 1];
    if (last !== undefined && last.status === 'in-progress') this.endStep(last, status === 'succeeded' ? 'succeeded' : status, error);
    job.status = status;
    job.endedAt = this.now();
    if (error !== undefined) job.error = error;
  }

  all(): readonly Job[] {
    return this.jobs;
  }
}
