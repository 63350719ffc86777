import { agglomerative, type AgglomerativeFit, type AgglomerativeOptions } from './algorithms/agglomerative.js';
import { affinityPropagation, type AffinityFit, type AffinityOptions } from './algorithms/affinity.js';
import { fitKMeans, checkPredictShape, type KMeansFit, type KMeansOptions } from './algorithms/kmeans.js';
import { knn, pairwiseDistances, type DistanceOptions, type KnnOptions, type KnnResult } from './algorithms/neighbors.js';
import { prepareSilhouette, silhouetteSamples, type SilhouetteOptions, type SilhouetteResult } from './algorithms/silhouette.js';
import { similarity, type SimilarityOptions, type SimilarityResult } from './algorithms/similarity.js';
import { miniBatchKMeans, type MiniBatchInput, type MiniBatchKMeansOptions, type MiniBatchKMeansResult } from './algorithms/minibatch.js';
import { sweep, type SweepOptions, type SweepResult } from './algorithms/sweep.js';
import { bisectingKMeans, topDown, type BisectingKMeansOptions, type BisectingKMeansResult, type TopDownOptions, type TopDownResult } from './algorithms/topdown.js';
import type { Backend, BackendName, DeviceMatrix } from './backends/backend.js';
import { createBackend, type BackendChoice, type BackendOptions } from './backends/select.js';
import { Dataset, toMatrix, type ColumnSelection, type DataInput, type LoadInput } from './input.js';
import { DeviceLostError } from './errors.js';
import type { Matrix } from './matrix.js';
import { correlationMatrix, type CorrelationOptions } from './prep/correlate.js';
import { fitPca, pcaTransform, type PcaModel, type PcaOptions } from './prep/pca.js';

export interface EngineOptions extends BackendOptions {
  /** 'auto' (default): a hardware GPU, else WebAssembly, else plain JS. */
  backend?: BackendChoice;
  /**
   * Where to finish when the GPU device is lost mid-call: 'wasm' (default under 'auto'; js if
   * wasm cannot run) or 'none' (default when a backend is named: the error is thrown).
   */
  fallback?: 'wasm' | 'none';
  /** Receives warnings such as a fallback after device loss (default: console.warn). */
  onWarning?: (message: string) => void;
}

export interface PcaResult extends PcaModel {
  /** New rows projected on the components (n × k, columns pc_1 … pc_k). */
  transform(y: DataInput, selection?: ColumnSelection): Promise<Matrix>;
}

export interface KMeansResult extends KMeansFit {
  /** Nearest centroid for each row of new data. */
  predict(y: DataInput, selection?: ColumnSelection): Promise<Int32Array>;
}

export interface MiniBatchKMeansModel extends MiniBatchKMeansResult {
  /** Nearest centroid for each row of new data (e.g. one record batch at a time). */
  predict(y: DataInput, selection?: ColumnSelection): Promise<Int32Array>;
}

/**
 * The façade: picks a backend once, converts inputs to matrices, keeps each dataset resident
 * on the backend for the duration of a call, and runs the backend-agnostic algorithms.
 */
export class Engine {
  private impl: Backend;
  private readonly options: EngineOptions;
  private disposed = false;

  private constructor(impl: Backend, options: EngineOptions) {
    this.impl = impl;
    this.options = options;
  }

  static async create(options: EngineOptions = {}): Promise<Engine> {
    return new Engine(await createBackend(options.backend ?? 'auto', options), options);
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
    return { ...fit, predict: this.predictor(fit.centroids, options) };
  }

  async silhouette(x: DataInput, labels: ArrayLike<number>, options: SilhouetteOptions & ColumnSelection = {}): Promise<SilhouetteResult> {
    const matrix = await this.matrix(x, options);
    const prepared = prepareSilhouette(matrix, labels, options);
    // A loaded Dataset scored whole is used as it is, resident already.
    const scored = prepared.rows ? matrix.selectRows(prepared.rows) : x instanceof Dataset ? x : matrix;
    const samples = await this.withResident(scored, {}, (resident) =>
      silhouetteSamples(this.impl, resident, prepared.labels, prepared.clusters),
    );
    const score = samples.reduce((a, b) => a + b, 0) / samples.length;
    return prepared.rows ? { score, sampleIndices: prepared.rows } : { score, samples };
  }

  async pairwiseDistances(a: DataInput, b: DataInput, options: DistanceOptions & ColumnSelection = {}): Promise<Matrix> {
    return this.withResidentPair(a, b, options, (ra, rb) => pairwiseDistances(this.impl, ra, rb, options));
  }

  async knn(a: DataInput, b: DataInput, options: KnnOptions & ColumnSelection): Promise<KnnResult> {
    return this.withResidentPair(a, b, options, (ra, rb) => knn(this.impl, ra, rb, options));
  }

  /** CLIP zero-shot scoring of image embeddings against text embeddings. */
  async similarity(images: DataInput, texts: DataInput, options: SimilarityOptions & ColumnSelection = {}): Promise<SimilarityResult> {
    return this.withResidentPair(images, texts, options, (ri, rt) => similarity(this.impl, ri, rt, options));
  }

  /**
   * Principal component analysis (scikit-learn's PCA, full solver): the scatter matrix on the
   * backend, its eigen-decomposition on the host; `transform` projects new rows on the backend.
   */
  async pca(x: DataInput, options: PcaOptions & ColumnSelection = {}): Promise<PcaResult> {
    const matrix = await this.matrix(x, options);
    const model = await this.run(() => fitPca(this.impl, matrix, options));
    return {
      ...model,
      transform: async (y, selection) => {
        const rows = await this.matrix(y, selection ?? options);
        return this.run(() => pcaTransform(this.impl, model, rows));
      },
    };
  }

  /** Pearson or Spearman correlation matrix of the columns (d × d), computed on the backend. */
  async correlation(x: DataInput, options: CorrelationOptions & ColumnSelection = {}): Promise<Matrix> {
    const matrix = await this.matrix(x, options);
    return this.run(() => correlationMatrix(this.impl, matrix, options));
  }

  /**
   * Hierarchical agglomerative clustering (ward, complete, average or single linkage) with
   * SciPy's linkage matrix and flat labels cut by cluster count or distance threshold.
   */
  async agglomerative(x: DataInput, options: AgglomerativeOptions & ColumnSelection = {}): Promise<AgglomerativeFit> {
    return this.withResident(x, options, (resident) => agglomerative(this.impl, resident, options));
  }

  /** Affinity propagation on negative squared Euclidean distances (scikit-learn's AffinityPropagation). */
  async affinityPropagation(x: DataInput, options: AffinityOptions & ColumnSelection = {}): Promise<AffinityFit> {
    return this.withResident(x, options, (resident) => affinityPropagation(this.impl, resident, options));
  }

  /** Choosing k: k-means for each k of a range with inertia, silhouette, Calinski–Harabasz, Davies–Bouldin and clustergram data; the data is uploaded once. */
  async sweep(x: DataInput, options: SweepOptions & ColumnSelection): Promise<SweepResult> {
    return this.withResident(x, options, (resident) => sweep(this.impl, resident, options));
  }

  /** Two-level clustering: a top k-means split, each group sub-clustered with its k chosen by silhouette (or CH / DB). */
  async topDown(x: DataInput, options: TopDownOptions & ColumnSelection): Promise<TopDownResult> {
    return this.withResident(x, options, (resident) => topDown(this.impl, resident, options));
  }

  /** Bisecting k-means with scikit-learn's BisectingKMeans rules (biggest_inertia or largest_cluster). */
  async bisectingKMeans(x: DataInput, options: BisectingKMeansOptions & ColumnSelection): Promise<BisectingKMeansResult> {
    return this.withResident(x, options, (resident) => bisectingKMeans(this.impl, resident, options));
  }

  /**
   * Mini-batch k-means (scikit-learn's MiniBatchKMeans) over data in memory or streamed pass by
   * pass (a TableSource, or a function returning a fresh stream of matrices / record batches).
   */
  async miniBatchKMeans(source: MiniBatchInput, options: MiniBatchKMeansOptions & ColumnSelection): Promise<MiniBatchKMeansModel> {
    const fit = await this.run(() => miniBatchKMeans(this.impl, source, options));
    return { ...fit, predict: this.predictor(fit.centroids, options) };
  }

  /**
   * Reads data once and keeps it resident on the backend until the Dataset is disposed; pass
   * the Dataset to several calls to upload it only once. From a table file (`openTable`), table
   * or stream of record batches, each chunk of rows goes to the backend as soon as it is read.
   */
  async load(x: LoadInput, selection: ColumnSelection = {}): Promise<Dataset> {
    this.assertLive();
    const dataset = new Dataset(x, selection);
    try {
      await this.run(() => dataset.residentOn(this.impl));
    } catch (error) {
      dataset.dispose();
      throw error;
    }
    return dataset;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.impl.dispose();
  }

  private async matrix(x: DataInput, selection: ColumnSelection): Promise<Matrix> {
    this.assertLive();
    return toMatrix(x, selection);
  }

  /** Uploads `x` for the duration of `work`, then frees the backend's copy (a loaded Dataset stays). */
  private async withResident<T>(x: DataInput, selection: ColumnSelection, work: (resident: DeviceMatrix) => Promise<T>): Promise<T> {
    return this.withResidentPair(x, undefined, selection, work);
  }

  /**
   * Both inputs resident for the duration of `work` (B is optional). Tables and streams are
   * uploaded while they are read; on a retry after device loss, from the host copy.
   */
  private async withResidentPair<T>(
    a: DataInput,
    b: DataInput | undefined,
    selection: ColumnSelection,
    work: (ra: DeviceMatrix, rb: DeviceMatrix) => Promise<T>,
  ): Promise<T> {
    this.assertLive();
    const owned: Dataset[] = [];
    const dataset = (x: DataInput) => {
      if (x instanceof Dataset) return x;
      const made = new Dataset(x, selection);
      owned.push(made);
      return made;
    };
    const da = dataset(a);
    const db = b === undefined ? da : dataset(b);
    try {
      return await this.run(async () => work(await da.residentOn(this.impl), await db.residentOn(this.impl)));
    } finally {
      for (const made of owned) made.dispose();
    }
  }

  private assertLive(): void {
    if (this.disposed) throw new Error('Engine: used after dispose()');
  }

  /**
   * Runs one call; if the GPU device is lost meanwhile and a fallback is allowed, switches the
   * engine to wasm (or js) for good and runs the call again from the start.
   */
  private async run<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      const fallback = this.options.fallback ?? ((this.options.backend ?? 'auto') === 'auto' ? 'wasm' : 'none');
      if (!(error instanceof DeviceLostError) || fallback === 'none' || this.impl.name !== 'webgpu') throw error;
      const next = await createBackend('wasm', this.options).catch(() => createBackend('js', this.options));
      (this.options.onWarning ?? console.warn)(`clusterkit: ${error.message}; finishing on ${next.name}`);
      this.impl.dispose();
      this.impl = next;
      return work();
    }
  }

  /** predict() of a fitted model: nearest centroid for each row of new data. */
  private predictor(centroids: Matrix, selection: ColumnSelection): (y: DataInput, selection?: ColumnSelection) => Promise<Int32Array> {
    const values = Float32Array.from(centroids.toFloat32Array());
    return (y, ySelection) =>
      this.withResident(y, ySelection ?? selection, async (resident) => {
        checkPredictShape(resident.host, centroids.cols);
        const session = await this.impl.startLloyd(resident, centroids.rows, { bounds: false });
        try {
          return (await session.step(values, { accumulate: false })).labels;
        } finally {
          session.dispose();
        }
      });
  }
}
