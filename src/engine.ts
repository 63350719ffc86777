import { fitKMeans, checkPredictShape, type KMeansFit, type KMeansOptions } from './algorithms/kmeans.js';
import { knn, pairwiseDistances, type DistanceOptions, type KnnOptions, type KnnResult } from './algorithms/neighbors.js';
import { prepareSilhouette, silhouetteSamples, type SilhouetteOptions, type SilhouetteResult } from './algorithms/silhouette.js';
import { similarity, type SimilarityOptions, type SimilarityResult } from './algorithms/similarity.js';
import type { Backend, BackendName, DeviceMatrix } from './backends/backend.js';
import { createBackend, type BackendChoice, type BackendOptions } from './backends/select.js';
import { toMatrix, type ColumnSelection, type DataInput } from './input.js';
import type { Matrix } from './matrix.js';

export interface EngineOptions extends BackendOptions {
  /** 'auto' (default): a hardware GPU, else WebAssembly, else plain JS. */
  backend?: BackendChoice;
}

export interface KMeansResult extends KMeansFit {
  /** Nearest centroid for each row of new data. */
  predict(y: DataInput, selection?: ColumnSelection): Promise<Int32Array>;
}

/**
 * The façade: picks a backend once, converts inputs to matrices, keeps each dataset resident
 * on the backend for the duration of a call, and runs the backend-agnostic algorithms.
 */
export class Engine {
  private readonly impl: Backend;
  private disposed = false;

  private constructor(impl: Backend) {
    this.impl = impl;
  }

  static async create(options: EngineOptions = {}): Promise<Engine> {
    return new Engine(await createBackend(options.backend ?? 'auto', options));
  }

  /** The backend picked: 'webgpu', 'wasm' or 'js'. */
  get backend(): BackendName {
    return this.impl.name;
  }

  /** One line describing the backend (adapter, threads, SIMD). */
  get description(): string {
    return this.impl.description;
  }

  async kmeans(x: DataInput, options: KMeansOptions & ColumnSelection): Promise<KMeansResult> {
    const fit = await this.withResident(x, options, (resident) => fitKMeans(this.impl, resident, options));
    const centroids = Float32Array.from(fit.centroids.toFloat32Array());
    const k = fit.centroids.rows;
    return {
      ...fit,
      predict: (y, selection) =>
        this.withResident(y, selection ?? options, async (resident) => {
          checkPredictShape(resident.host, fit.centroids.cols);
          const session = await this.impl.startLloyd(resident, k, { bounds: false });
          try {
            return (await session.step(centroids, { accumulate: false })).labels;
          } finally {
            session.dispose();
          }
        }),
    };
  }

  async silhouette(x: DataInput, labels: ArrayLike<number>, options: SilhouetteOptions & ColumnSelection = {}): Promise<SilhouetteResult> {
    const matrix = await this.matrix(x, options);
    const prepared = prepareSilhouette(matrix, labels, options);
    const scored = prepared.rows ? matrix.selectRows(prepared.rows) : matrix;
    const samples = await this.withResident(scored, {}, (resident) =>
      silhouetteSamples(this.impl, resident, prepared.labels, prepared.clusters),
    );
    const score = samples.reduce((a, b) => a + b, 0) / samples.length;
    return prepared.rows ? { score, sampleIndices: prepared.rows } : { score, samples };
  }

  async pairwiseDistances(a: DataInput, b: DataInput, options: DistanceOptions & ColumnSelection = {}): Promise<Matrix> {
    return this.withResident(a, options, (ra) => this.withResident(b, options, (rb) => pairwiseDistances(this.impl, ra, rb, options)));
  }

  async knn(a: DataInput, b: DataInput, options: KnnOptions & ColumnSelection): Promise<KnnResult> {
    return this.withResident(a, options, (ra) => this.withResident(b, options, (rb) => knn(this.impl, ra, rb, options)));
  }

  /** CLIP zero-shot scoring of image embeddings against text embeddings. */
  async similarity(images: DataInput, texts: DataInput, options: SimilarityOptions & ColumnSelection = {}): Promise<SimilarityResult> {
    return this.withResident(images, options, (ri) => this.withResident(texts, options, (rt) => similarity(this.impl, ri, rt, options)));
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.impl.dispose();
  }

  private async matrix(x: DataInput, selection: ColumnSelection): Promise<Matrix> {
    if (this.disposed) throw new Error('Engine: used after dispose()');
    return toMatrix(x, selection);
  }

  /** Uploads `x` for the duration of `work`, then frees the backend's copy. */
  private async withResident<T>(x: DataInput, selection: ColumnSelection, work: (resident: DeviceMatrix) => Promise<T>): Promise<T> {
    const resident = await this.impl.upload(await this.matrix(x, selection));
    try {
      return await work(resident);
    } finally {
      resident.dispose();
    }
  }
}
