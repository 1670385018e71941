// The plumbing every provider's control plane shares: a job's steps are management requests to
// engine services on hosts, run one after another; the first failure fails the job, and every
// step is recorded with its timing and outcome as the portal shows it. A job that ended while a
// step was out (cancelled by the operator) takes no further step: late answers are dropped.
import type { ManagementChannel } from '../ports.js';
import type { Job, JobLog } from './jobs.js';

export type StepResponse = { readonly ok: true; readonly value?: unknown } | { readonly ok: false; readonly error: string };

/** A step: its name as the portal shows it, the host it runs on, and the request. */
export type Step<Request> = readonly [name: string, host: string, request: Request];

export class JobSteps<Request> {
  constructor(
    private readonly jobs: JobLog,
    private readonly management: ManagementChannel,
    private readonly service: string,
  ) {}

  /** Runs `steps` in order; the first failure calls `finish(error)`, else `then(last value)`. */
  chain(job: Job, finish: (error: string | null) => void, steps: ReadonlyArray<Step<Request>>, then: (lastValue: unknown) => void): void {
    if (job.status !== 'in-progress') return;
    const [first, ...rest] = steps;
    if (first === undefined) return then(undefined);
    const [name, host, request] = first;
    this.step(job, name, host, request, (value, reachable, error) => {
      if (!reachable || error !== null) return finish(`${name}: ${error ?? `host ${host} is unreachable`}`);
      if (rest.length === 0) return then(value);
      this.chain(job, finish, rest, then);
    });
  }

  /** One recorded step whose outcome the caller judges. */
  step(job: Job, name: string, host: string, request: Request, then: (value: unknown, reachable: boolean, error: string | null) => void): void {
    const step = this.jobs.step(job, name);
    this.request(host, request, (response, reachable) => {
      if (job.status !== 'in-progress') return; // cancelled meanwhile: the answer changes nothing
      const error = !reachable ? `host ${host} is unreachable` : response.ok ? null : response.error;
      this.jobs.endStep(step, error === null ? 'succeeded' : 'failed', error ?? undefined);
      then(response.ok ? response.value : undefined, reachable, response.ok ? null : response.error);
    });
  }

  /** A request outside any job (status polling, best-effort cleanup). */
  request(host: string, request: Request, done: (response: StepResponse, reachable: boolean) => void): void {
    this.management.request(host, this.service, request, (result) => {
      if (!result.ok) return done({ ok: false, error: `host ${host}: ${result.reason}` }, false);
      done(result.value as StepResponse, true);
    });
  }
}
