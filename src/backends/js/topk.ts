/**
 * The k smallest keys seen, with their indices, kept sorted by insertion. Keys are pushed in
 * increasing index order, and an equal key goes after the ones already held, so ties keep the
 * lower index first.
 */
export class TopK {
  private readonly keys: Float64Array;
  private readonly ids: Int32Array;
  private size = 0;

  constructor(readonly k: number) {
    this.keys = new Float64Array(k);
    this.ids = new Int32Array(k);
  }

  clear(): void {
    this.size = 0;
  }

  push(key: number, id: number): void {
    if (this.size === this.k && !(key < this.keys[this.k - 1]!)) return;
    let i = this.size < this.k ? this.size++ : this.k - 1;
    while (i > 0 && this.keys[i - 1]! > key) {
      this.keys[i] = this.keys[i - 1]!;
      this.ids[i] = this.ids[i - 1]!;
      i--;
    }
    this.keys[i] = key;
    this.ids[i] = id;
  }

  /** Writes the held entries in key order; values are `sign × key`. */
  writeSorted(indices: Int32Array, values: Float32Array, offset: number, sign: number): void {
    for (let i = 0; i < this.size; i++) {
      indices[offset + i] = this.ids[i]!;
      values[offset + i] = sign * this.keys[i]!;
    }
  }
}
