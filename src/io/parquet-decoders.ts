import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { DecodeReply, DecodeRequest } from './parquet-worker.js';

/** The compiled worker: beside this module in dist/, or in dist/ when the sources run (tests). */
function workerUrl(): URL {
  for (const candidate of [new URL('./parquet-worker.js', import.meta.url), new URL('../../dist/io/parquet-worker.js', import.meta.url)]) {
    if (existsSync(fileURLToPath(candidate))) return candidate;
  }
  throw new Error('parquet-worker.js not found: run "npm run build"');
}

interface Waiting {
  resolve: (ipc: Uint8Array[]) => void;
  reject: (error: Error) => void;
}

/**
 * Worker threads that decode row groups of one Parquet file in parallel; `decode` queues a
 * group for the next idle worker and resolves with its batches as Arrow IPC streams. The first
 * error (a worker ends with it) fails every group asked for, then and later.
 */
export class ParquetDecoders {
  private readonly workers: Worker[];
  private readonly idle: Worker[];
  private readonly queue: (Omit<DecodeRequest, 'columns'> & Waiting)[] = [];
  private readonly running = new Map<number, Waiting>();
  private failure: Error | undefined;

  /** `columns`: decode only these (all when undefined). */
  constructor(
    path: string,
    threads: number,
    private readonly columns: string[] | undefined,
  ) {
    const url = workerUrl();
    this.workers = Array.from({ length: threads }, () => {
      const worker = new Worker(url, { workerData: { path } });
      worker.on('message', ({ group, ipc }: DecodeReply) => {
        this.running.get(group)?.resolve(ipc);
        this.running.delete(group);
        this.idle.push(worker);
        this.next();
      });
      worker.on('error', (error) => this.fail(error));
      return worker;
    });
    this.idle = [...this.workers];
  }

  /** The IPC streams of row group `group`, in batches of at most `batchSize` rows. */
  decode(group: number, batchSize: number): Promise<Uint8Array[]> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.queue.push({ group, batchSize, resolve, reject });
      this.next();
    });
  }

  close(): void {
    for (const worker of this.workers) void worker.terminate();
  }

  private next(): void {
    while (this.idle.length > 0 && this.queue.length > 0) {
      const { group, batchSize, ...waiting } = this.queue.shift()!;
      this.running.set(group, waiting);
      this.idle.pop()!.postMessage({ group, batchSize, columns: this.columns } satisfies DecodeRequest);
    }
  }

  private fail(error: Error): void {
    this.failure ??= error;
    for (const waiting of [...this.running.values(), ...this.queue.splice(0)]) waiting.reject(error);
    this.running.clear();
  }
}
