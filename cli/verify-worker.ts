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
// scenarios/index.ts does not re-export the verification harness yet; switch once it does.
// eslint-disable-next-line @typescript-eslint/no-restricted-imports
import { verifySeed, type Provider, type VerifyOptions, type VerifyRun } from '../scenarios/verify/index.js';

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

/** Runs every task and returns the runs in task order. */
export function runVerifyPool(tasks: readonly VerifyTask[], options: PoolOptions): VerifyRun[] {
  const runs: VerifyRun[] = new Array(tasks.length);
  if (options.workers <= 1 || tasks.length <= 1) {
    tasks.forEach((task, i) => {
      runs[i] = verifySeed(task.seed, task.provider, task.options);
      options.onResult?.(runs[i], i + 1);
    });
    return runs;
  }
  const signal = new Int32Array(new SharedArrayBuffer(4));
  const pool = Array.from({ length: Math.min(options.workers, tasks.length) }, () => startWorker(signal));
  let next = 0;
  let completed = 0;
  const dispatch = (member: PoolMember) => {
    if (next >= tasks.length) return;
    member.port.postMessage({ index: next, task: tasks[next] });
    next++;
  };
  try {
    pool.forEach(dispatch);
    let seen = 0;
    while (completed < tasks.length) {
      if (Atomics.load(signal, 0) === seen && Atomics.wait(signal, 0, seen, options.stallMillis ?? 600_000) === 'timed-out') {
        throw new Error(`lab verify: no run finished for ${(options.stallMillis ?? 600_000) / 1000}s; a worker stopped`);
      }
      seen = Atomics.load(signal, 0);
      for (const member of pool) {
        for (let received = receiveMessageOnPort(member.port); received !== undefined; received = receiveMessageOnPort(member.port)) {
          const message = received.message as WorkerMessage;
          if (message.kind === 'fatal') throw new Error(`lab verify: a worker failed: ${message.error}`);
          runs[message.index] = message.run;
          completed++;
          options.onResult?.(message.run, completed);
          dispatch(member);
        }
      }
    }
  } finally {
    for (const member of pool) {
      member.port.close();
      void member.worker.terminate();
    }
  }
  return runs;
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
