/**
 * Counters and histograms whose label sets are bound once. prom-client looks a label set up on every call: it
 * validates the labels and builds a string key from them (and allocates on the way), which on a settled GET cost
 * as much as its store read. Here a caller asks once for the cell of a label set (a route and status, a store
 * method) and keeps it: counting is a field increment. The exposition is prom-client's own, from the same values in
 * the same order (label sets in the order first seen), so scrapes and recording rules see no difference.
 */
import { Counter, Histogram, type CounterConfiguration, type HistogramConfiguration } from "prom-client";

export interface CounterCell {
  inc(): void;
}

export interface HistogramCell {
  observe(value: number): void;
}

type Labels<L extends string> = Record<L, string>;

interface CounterCellState<L extends string> {
  labels: Labels<L>;
  value: number;
  /** In the exposition from its first count on (not from when it is bound), as prom-client lists a label set. */
  listed: boolean;
}

/** A Counter counted only through its cells; its values are read from them at scrape time. */
export class CellCounter<L extends string> extends Counter<L> {
  private cells: Array<CounterCellState<L>> = [];
  private readonly meta: { name: string; help: string };

  constructor(config: CounterConfiguration<L>) {
    super(config);
    this.meta = { name: config.name, help: config.help };
  }

  cell(labels: Labels<L>): CounterCell {
    const state: CounterCellState<L> = { labels, value: 0, listed: false };
    const list = () => this.cells.push(state);
    return {
      inc() {
        if (!state.listed) {
          state.listed = true;
          list();
        }
        state.value += 1;
      },
    };
  }

  override async get(): Promise<Awaited<ReturnType<Counter<L>["get"]>>> {
    const values = this.cells.map(({ labels, value }) => ({ labels, value }));
    return { ...this.meta, type: "counter", aggregator: "sum", values } as unknown as Awaited<ReturnType<Counter<L>["get"]>>;
  }

  override reset(): void {
    super.reset();
    // prom-client's constructor calls reset() before this class's fields exist.
    for (const state of (this.cells as typeof this.cells | undefined) ?? []) Object.assign(state, { value: 0, listed: false });
    this.cells = [];
  }
}

interface HistogramCellState<L extends string> {
  labels: Labels<L>;
  /** Observations per bucket, not cumulative (the exposition adds them up); the last is above every bound. */
  counts: number[];
  sum: number;
  count: number;
  listed: boolean;
}

/** A Histogram observed only through its cells; its buckets, sums and counts are read from them at scrape time. */
export class CellHistogram<L extends string> extends Histogram<L> {
  private cells: Array<HistogramCellState<L>> = [];
  private readonly bounds: readonly number[];
  private readonly meta: { name: string; help: string };

  constructor(config: HistogramConfiguration<L> & { buckets: number[] }) {
    super(config);
    this.meta = { name: config.name, help: config.help };
    this.bounds = [...config.buckets].sort((a, b) => a - b);
  }

  cell(labels: Labels<L>): HistogramCell {
    const { bounds } = this;
    const state: HistogramCellState<L> = { labels, counts: new Array<number>(bounds.length + 1).fill(0), sum: 0, count: 0, listed: false };
    const list = () => this.cells.push(state);
    return {
      observe(value: number) {
        if (!Number.isFinite(value)) throw new TypeError(`Value is not a valid number: ${value}`);
        if (!state.listed) {
          state.listed = true;
          list();
        }
        let bucket = 0;
        while (bucket < bounds.length && value > bounds[bucket]!) bucket += 1;
        state.counts[bucket]! += 1;
        state.sum += value;
        state.count += 1;
      },
    };
  }

  /**
   * What prom-client's Histogram answers for the text format (its get() splays the labels from this): per label
   * set, each bucket (cumulative), +Inf, sum and count. Not in prom-client's typings, but its registry calls it.
   */
  async getForPromString(): Promise<{ name: string; help: string; type: string; values: unknown[]; aggregator: string }> {
    const { name } = this.meta;
    const values: unknown[] = [];
    for (const cell of this.cells) {
      let cumulative = 0;
      this.bounds.forEach((bound, i) => {
        cumulative += cell.counts[i]!;
        values.push({ labels: { le: bound }, sharedLabels: cell.labels, value: cumulative, metricName: `${name}_bucket`, exemplar: null });
      });
      values.push(
        { labels: { le: "+Inf" }, sharedLabels: cell.labels, value: cell.count, metricName: `${name}_bucket`, exemplar: null },
        { labels: {}, sharedLabels: cell.labels, value: cell.sum, metricName: `${name}_sum`, exemplar: undefined },
        { labels: {}, sharedLabels: cell.labels, value: cell.count, metricName: `${name}_count`, exemplar: undefined },
      );
    }
    return { ...this.meta, type: "histogram", values, aggregator: "sum" };
  }

  override reset(): void {
    super.reset();
    // prom-client's constructor calls reset() before this class's fields exist.
    for (const state of (this.cells as typeof this.cells | undefined) ?? []) Object.assign(state, { counts: state.counts.fill(0), sum: 0, count: 0, listed: false });
    this.cells = [];
  }
}
