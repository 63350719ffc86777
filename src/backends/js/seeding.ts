import type { Matrix } from '../../matrix.js';
import type { SeedingState } from '../backend.js';
import { forEachRow, lowerBound, squaredDistance } from './kernels.js';

/** Greedy k-means++ state: closest squared distances in float64, trial arrays kept for commit. */
export class JsSeeding implements SeedingState {
  private readonly x: Matrix;
  private closest: Float64Array;
  private cumulative: Float64Array | undefined;
  private trials: Float64Array[] = [];
  potential: number;

  constructor(x: Matrix, firstRow: number) {
    this.x = x;
    this.closest = new Float64Array(x.rows);
    this.potential = this.distancesTo(firstRow, undefined, this.closest);
  }

  async sample(targets: Float64Array): Promise<Int32Array> {
    if (!this.cumulative) {
      this.cumulative = new Float64Array(this.closest.length);
      let running = 0;
      for (let i = 0; i < this.closest.length; i++) this.cumulative[i] = running += this.closest[i]!;
    }
    const cumulative = this.cumulative;
    return Int32Array.from(targets, (target) => Math.min(lowerBound(cumulative, target), cumulative.length - 1));
  }

  async trial(candidateRows: Int32Array): Promise<Float64Array> {
    this.trials = Array.from(candidateRows, () => new Float64Array(this.x.rows));
    return Float64Array.from(candidateRows, (row, c) => this.distancesTo(row, this.closest, this.trials[c]!));
  }

  async commit(index: number): Promise<void> {
    const chosen = this.trials[index];
    if (!chosen) throw new RangeError(`commit: no trial candidate ${index}`);
    this.closest = chosen;
    this.potential = chosen.reduce((a, b) => a + b, 0);
    this.cumulative = undefined;
    this.trials = [];
  }

  dispose(): void {
    this.trials = [];
  }

  /** out[i] = min(bound[i], ‖x_i − x_row‖²); returns Σ out. */
  private distancesTo(row: number, bound: Float64Array | undefined, out: Float64Array): number {
    const centre = this.x.row(row);
    let total = 0;
    forEachRow(this.x, (data, offset, i) => {
      const distance = squaredDistance(data, offset, centre, 0, centre.length);
      out[i] = bound ? Math.min(bound[i]!, distance) : distance;
      total += out[i]!;
    });
    return total;
  }
}
