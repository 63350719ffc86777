import { PROTOCOL, type FromWorker, type KernelCall } from './abi.js';
import type { Platform, ThreadHandle } from './platform.js';

interface Pending {
  resolve(results: number[]): void;
  reject(error: Error): void;
}

/**
 * Kernel workers over shared WebAssembly memories. Each worker holds one instance of the
 * kernels per shard memory; a task is one batch of calls per worker, run in parallel.
 */
export class ThreadPool {
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private failure: Error | undefined;
  private disposed = false;

  private constructor(private readonly threads: ThreadHandle[]) {
    for (const thread of threads) {
      thread.onMessage((message) => this.receive(message));
      thread.onFailure((error) => this.fail(error));
    }
  }

  get size(): number {
    return this.threads.length;
  }

  /** Starts `count` workers and hands each the compiled kernels. */
  static async start(platform: Platform, count: number, module: WebAssembly.Module): Promise<ThreadPool> {
    const threads = Array.from({ length: count }, () => platform.spawn());
    const ready = threads.map(
      (thread) =>
        new Promise<void>((resolve, reject) => {
          thread.onMessage((message: FromWorker) => {
            if (message.op === 'ready') resolve();
            else if (message.op === 'error' && message.id === undefined) reject(new Error(message.message));
          });
          thread.onFailure(reject);
        }),
    );
    for (const thread of threads) {
      thread.hold(true);
      thread.post({ op: 'init', protocol: PROTOCOL, module });
    }
    try {
      await Promise.all(ready);
    } catch (error) {
      threads.forEach((thread) => thread.terminate());
      throw error;
    } finally {
      threads.forEach((thread) => thread.hold(false));
    }
    return new ThreadPool(threads);
  }

  addShard(index: number, memory: WebAssembly.Memory): void {
    for (const thread of this.threads) thread.post({ op: 'shard', index, memory });
  }

  /** Runs batches[w] on worker w (empty batches are skipped); resolves to their return values. */
  async run(batches: KernelCall[][]): Promise<number[][]> {
    this.assertUsable();
    const jobs = batches.map((calls, w) => {
      if (calls.length === 0) return Promise.resolve([] as number[]);
      const id = this.nextId++;
      const thread = this.threads[w % this.threads.length]!;
      return new Promise<number[]>((resolve, reject) => {
        this.pending.set(id, { resolve, reject });
        if (this.pending.size === 1) this.holdAll(true);
        thread.post({ op: 'run', id, calls });
      });
    });
    return Promise.all(jobs);
  }

  /** Throws when a worker has failed or the pool is disposed. */
  assertUsable(): void {
    if (this.failure) throw this.failure;
    if (this.disposed) throw new Error('wasm backend used after dispose()');
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const thread of this.threads) thread.terminate();
    this.fail(new Error('wasm backend disposed'));
  }

  private receive(message: FromWorker): void {
    if (message.id === undefined) {
      if (message.op === 'error') this.fail(new Error(message.message));
      return;
    }
    const job = this.pending.get(message.id);
    if (!job) return;
    this.pending.delete(message.id);
    if (this.pending.size === 0) this.holdAll(false);
    if (message.op === 'done') job.resolve(message.results);
    else if (message.op === 'error') job.reject(new Error(`wasm kernel failed: ${message.message}`));
  }

  private fail(error: Error): void {
    if (!this.disposed) this.failure ??= error;
    for (const job of this.pending.values()) job.reject(error);
    this.pending.clear();
    this.holdAll(false);
  }

  private holdAll(active: boolean): void {
    if (this.disposed && active) return;
    for (const thread of this.threads) thread.hold(active);
  }
}
