// Every benchmark `lab bench` knows, in the order they run. Adding one is one line here.
import type { Benchmark } from './benchmark.js';
import { mm1 } from './mm1.js';
import { hypervDay100 } from './hyperv-day.js';

export const benchmarks: readonly Benchmark[] = [mm1, hypervDay100];

export const benchmarkNames = (): string[] => benchmarks.map((benchmark) => benchmark.name);

export function findBenchmark(name: string): Benchmark | undefined {
  return benchmarks.find((benchmark) => benchmark.name === name);
}
