// What a benchmark is: a named measurement that returns a flat record of figures
// (DESIGN.md section 6 names them). Benchmarks are measurements, not timed tests: they report,
// and `lab bench` never fails because a machine was slow.

/** One benchmark's results, keyed by figure name (customersPerSecond, peakRssMiB, ...). */
export type Figures = Readonly<Record<string, number | string | boolean>>;

export interface BenchContext {
  /**
   * Size factor in (0, 1]. 1 is the benchmark proper; tests pass a smaller one (LAB_BENCH_SCALE)
   * so that they finish quickly. Each benchmark decides what it scales (customers, VMs, hours).
   */
  readonly scale: number;
  /** Measured rounds asked for with --repeat; undefined means the benchmark's own default. */
  readonly repeat: number | undefined;
  /** A progress line for a person watching; goes to stderr on a terminal only. */
  progress(message: string): void;
}

export interface Benchmark {
  readonly name: string;
  /** One line for `lab bench --help` and the table. */
  readonly description: string;
  run(context: BenchContext): Figures;
}
