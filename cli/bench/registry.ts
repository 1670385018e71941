// Every benchmark `lab bench` knows, in the order they run. Adding one is one line here.
import type { Benchmark } from './benchmark.js';
import { mm1 } from './mm1.js';
import { verifyThroughput } from './verify-throughput.js';
import { hypervDay100 } from './hyperv-day.js';
import { scoutDay200 } from './scout-day.js';
import { plan500Benchmark } from './plan-500.js';

export const benchmarks: readonly Benchmark[] = [mm1, hypervDay100, plan500Benchmark, scoutDay200, verifyThroughput];

export const benchmarkNames = (): string[] => benchmarks.map((benchmark) => benchmark.name);

export function findBenchmark(name: string): Benchmark | undefined {
  return benchmarks.find((benchmark) => benchmark.name === name);
}
