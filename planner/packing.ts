// First-fit-decreasing packing of indivisible items into identical bins with several capacities
// (a master target: disk slots, retention bytes, retention IOPS; a process server: churn a day,
// machines). Items are sorted by their largest share of a bin, then each goes into the first bin
// with room in every dimension. An item larger than a bin in some dimension gets a bin of its own
// and is reported as over capacity: the plan then says which machine needs a bigger server.

export interface PackItem {
  readonly key: string;
  readonly demand: readonly number[];
}

export interface PackedBin {
  readonly items: number[];
  readonly load: number[];
  overCapacity: boolean;
}

export function packFirstFitDecreasing(items: readonly PackItem[], capacity: readonly number[]): PackedBin[] {
  const share = (item: PackItem) => Math.max(...item.demand.map((d, i) => (capacity[i] === Number.POSITIVE_INFINITY ? 0 : d / capacity[i])));
  const order = items.map((item, index) => ({ index, share: share(item) })).sort((a, b) => b.share - a.share || (items[a.index].key < items[b.index].key ? -1 : 1));
  const bins: PackedBin[] = [];
  for (const { index } of order) {
    const demand = items[index].demand;
    const fits = (bin: PackedBin) => demand.every((d, i) => bin.load[i] + d <= capacity[i] * (1 + 1e-12));
    const alone = !demand.every((d, i) => d <= capacity[i] * (1 + 1e-12));
    const bin = alone ? undefined : bins.find((b) => !b.overCapacity && fits(b));
    if (bin === undefined) bins.push({ items: [index], load: [...demand], overCapacity: alone });
    else {
      bin.items.push(index);
      demand.forEach((d, i) => (bin.load[i] += d));
    }
  }
  return bins;
}

/** ⌈Σ demand ÷ capacity⌉ in one dimension: the count no packing can beat. */
export function lowerBound(items: readonly PackItem[], capacity: readonly number[], dimension: number): number {
  if (capacity[dimension] === Number.POSITIVE_INFINITY) return items.length > 0 ? 1 : 0;
  const total = items.reduce((sum, item) => sum + item.demand[dimension], 0);
  return Math.ceil(total / capacity[dimension] - 1e-9);
}
