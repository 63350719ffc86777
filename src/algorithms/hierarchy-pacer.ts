/**
 * Long host-side loops (the merges of agglomerative clustering, affinity propagation's
 * iterations) report progress and give the event loop a turn about every `intervalMs`, so a
 * progress bar moves and a service or page stays responsive. Checking the clock is cheap but
 * not free, so it is looked at only every `every` steps.
 */
export class Pacer {
  private last = performance.now();

  constructor(
    private readonly intervalMs = 100,
    private readonly every = 64,
  ) {}

  /** Whether step `step` should report and pause. */
  due(step: number): boolean {
    if (step % this.every !== 0) return false;
    const now = performance.now();
    if (now - this.last < this.intervalMs) return false;
    this.last = now;
    return true;
  }

  /** Lets queued events run (a macrotask turn). */
  pause(): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, 0));
  }
}
