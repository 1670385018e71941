// The job log as the portal shows it: steps end with the job, with the job's status and error.
import { describe, expect, it } from 'vitest';
import type { Instant } from '../../model/index.js';
import { JobLog } from '../../engine/control-plane/jobs.js';

function log() {
  let now = 0;
  const jobs = new JobLog(() => now as Instant);
  const tick = (micros: number) => {
    now += micros;
  };
  return { jobs, tick };
}

describe('JobLog', () => {
  it('numbers jobs, and ends the running step as succeeded when the next one starts', () => {
    const { jobs, tick } = log();
    const job = jobs.start('planned-failover', 'vm1');
    expect(job).toMatchObject({ id: 1, kind: 'planned-failover', target: 'vm1', startedAt: 0, endedAt: null, status: 'in-progress' });
    jobs.step(job, 'shut down');
    tick(5);
    jobs.step(job, 'final sync');
    expect(job.steps[0]).toEqual({ name: 'shut down', startedAt: 0, endedAt: 5, status: 'succeeded' });
    tick(5);
    jobs.finish(job, 'succeeded');
    expect(job.steps[1]).toEqual({ name: 'final sync', startedAt: 5, endedAt: 10, status: 'succeeded' });
    expect(job).toMatchObject({ status: 'succeeded', endedAt: 10 });
    expect(job.error).toBeUndefined();
    expect(jobs.start('commit', 'vm1').id).toBe(2);
    expect(jobs.all().map((j) => j.kind)).toEqual(['planned-failover', 'commit']);
  });

  it('ends the running step with the failure and its error when the job fails', () => {
    const { jobs, tick } = log();
    const job = jobs.start('test-failover', 'vm2');
    jobs.step(job, 'start the test VM');
    tick(3);
    jobs.finish(job, 'failed', 'the host is down');
    expect(job.steps[0]).toEqual({ name: 'start the test VM', startedAt: 0, endedAt: 3, status: 'failed', error: 'the host is down' });
    expect(job).toMatchObject({ status: 'failed', endedAt: 3, error: 'the host is down' });
  });

  it('ends the running step as cancelled when the job is cancelled, and leaves finished steps alone', () => {
    const { jobs, tick } = log();
    const job = jobs.start('unplanned-failover', 'vm3');
    const first = jobs.step(job, 'fail over');
    jobs.endStep(first, 'failed', 'no recovery point');
    tick(2);
    jobs.finish(job, 'cancelled');
    expect(job.steps[0]).toEqual({ name: 'fail over', startedAt: 0, endedAt: 0, status: 'failed', error: 'no recovery point' });
    const other = jobs.start('unplanned-failover', 'vm4');
    jobs.step(other, 'fail over');
    jobs.finish(other, 'cancelled');
    expect(other.steps[0].status).toBe('cancelled');
    expect(other.steps[0].error).toBeUndefined();
  });
});

describe('JobLog: finished steps stay as they ended', () => {
  it('does not end a failed step again when the next step starts or the job ends', () => {
    const { jobs, tick } = log();
    const job = jobs.start('resync', 'vm1');
    const first = jobs.step(job, 'try');
    tick(1);
    jobs.endStep(first, 'failed', 'disk offline');
    tick(1);
    jobs.step(job, 'retry');
    expect(job.steps[0]).toEqual({ name: 'try', startedAt: 0, endedAt: 1, status: 'failed', error: 'disk offline' });
    const second = job.steps[1];
    jobs.endStep(second, 'succeeded');
    tick(1);
    jobs.finish(job, 'failed', 'gave up');
    expect(second).toEqual({ name: 'retry', startedAt: 2, endedAt: 2, status: 'succeeded' });
    expect('error' in second).toBe(false);
    const ok = jobs.start('commit', 'vm1');
    jobs.finish(ok, 'succeeded');
    expect('error' in ok).toBe(false);
  });
});
