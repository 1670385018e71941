// The worker pool of `lab verify` and the verify-throughput benchmark: seeds are spread over
// worker threads (one per core by default), each running scenarios/verify's verifySeed exactly as
// one process would, so verdicts and trace hashes are the same with any number of workers (every
// run builds its own world from its seed; nothing is shared).
//
// The pool is synchronous: the main thread blocks on a shared counter (Atomics.wait) and reads
// results with receiveMessageOnPort, so a benchmark's synchronous run() can use it too. Workers
// load TypeScript through tsx's register API (module hooks are per thread on Node 20), and report
// their own start-up failures through the same port, since the blocked main thread cannot see
// 'error' events.
import { MessageChannel, Worker, isMainThread, receiveMessageOnPort, workerData, type MessagePort } from 'node:worker_threads';
import { verifySeed, type Provider, type VerifyOptions, type VerifyRun } from '../scenarios/index.js';

export interface VerifyTask {
  readonly seed: number;
  readonly provider: Provider;
  readonly options: VerifyOptions;
}

type WorkerMessage = { kind: 'result'; index: number; run: VerifyRun } | { kind: 'fatal'; error: string };

interface WorkerBoot {
  readonly kind: 'lab-verify-worker';
  readonly port: MessagePort;
  readonly signal: Int32Array;
  readonly tsxApi: string;
  readonly entry: string;
}

export interface PoolOptions {
  readonly workers: number;
  /** Called on the main thread as each run arrives (in completion order). */
  readonly onResult?: (run: VerifyRun, completed: number) => void;
  /** Give up when no run finishes for this long (a worker died without a word). */
  readonly stallMillis?: number;
}

/** Runs every task and returns the runs in task order (workers start and stop with the call). */
export function runVerifyPool(tasks: readonly VerifyTask[], options: PoolOptions): VerifyRun[] {
  if (options.workers <= 1 || tasks.length <= 1) {
    return tasks.map((task, i) => {
      const run = verifySeed(task.seed, task.provider, task.options);
      options.onResult?.(run, i + 1);
      return run;
    });
  }
  const pool = new VerifyPool(Math.min(options.workers, tasks.length), options.stallMillis);
  try {
    return pool.run(tasks, options.onResult);
  } finally {
    pool.close();
  }
}

/** Worker threads kept between runs: a benchmark warms them (module loading, JIT) once and then
 *  measures steady throughput, as a long sweep sees it. */
export class VerifyPool {
  private readonly signal = new Int32Array(new SharedArrayBuffer(4));
  private readonly members: PoolMember[];
  private seen = 0;

  constructor(
    readonly workers: number,
    private readonly stallMillis = 600_000,
  ) {
    this.members = Array.from({ length: workers }, () => startWorker(this.signal));
  }

  /** Runs every task on the pool's workers and returns the runs in task order. */
  run(tasks: readonly VerifyTask[], onResult?: (run: VerifyRun, completed: number) => void): VerifyRun[] {
    const runs: VerifyRun[] = new Array(tasks.length);
    let next = 0;
    let completed = 0;
    const dispatch = (member: PoolMember) => {
      if (next >= tasks.length) return;
      member.port.postMessage({ index: next, task: tasks[next] });
      next++;
    };
    this.members.forEach(dispatch);
    while (completed < tasks.length) {
      if (Atomics.load(this.signal, 0) === this.seen && Atomics.wait(this.signal, 0, this.seen, this.stallMillis) === 'timed-out') {
        throw new Error(`lab verify: no run finished for ${this.stallMillis / 1000}s; a worker stopped`);
      }
      this.seen = Atomics.load(this.signal, 0);
      for (const member of this.members) {
        for (let received = receiveMessageOnPort(member.port); received !== undefined; received = receiveMessageOnPort(member.port)) {
          const message = received.message as WorkerMessage;
          if (message.kind === 'fatal') throw new Error(`lab verify: a worker failed: ${message.error}`);
          runs[message.index] = message.run;
          completed++;
          onResult?.(message.run, completed);
          dispatch(member);
        }
      }
    }
    return runs;
  }

  close(): void {
    for (const member of this.members) {
      member.port.close();
      void member.worker.terminate();
    }
  }
}

interface PoolMember {
  readonly worker: Worker;
  readonly port: MessagePort;
}

function startWorker(signal: Int32Array): PoolMember {
  const { port1, port2 } = new MessageChannel();
  const boot: WorkerBoot = { kind: 'lab-verify-worker', port: port2, signal, tsxApi: import.meta.resolve('tsx/esm/api'), entry: import.meta.url };
  // The bootstrap is plain JavaScript: it installs tsx in this thread, then loads this file.
  const bootstrap = `
    const { workerData } = require('node:worker_threads');
    import(workerData.tsxApi)
      .then((api) => { api.register(); return import(workerData.entry); })
      .catch((error) => {
        workerData.port.postMessage({ kind: 'fatal', error: String((error && error.stack) || error) });
        Atomics.add(workerData.signal, 0, 1);
        Atomics.notify(workerData.signal, 0);
      });`;
  const worker = new Worker(bootstrap, { eval: true, workerData: boot, transferList: [port2] });
  return { worker, port: port1 };
}

/** Inside a worker: answer each task with its run. */
function serve(boot: WorkerBoot): void {
  const post = (message: WorkerMessage) => {
    boot.port.postMessage(message);
    Atomics.add(boot.signal, 0, 1);
    Atomics.notify(boot.signal, 0);
  };
  boot.port.on('message', ({ index, task }: { index: number; task: VerifyTask }) => {
    try {
      post({ kind: 'result', index, run: verifySeed(task.seed, task.provider, task.options) });
    } catch (error) {
      post({ kind: 'fatal', error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
    }
  });
}

if (!isMainThread && (workerData as Partial<WorkerBoot> | null)?.kind === 'lab-verify-worker') serve(workerData as WorkerBoot);
