import type { Backend, DeviceMatrix } from '../backends/backend.js';
import { inputError, optionError } from '../errors.js';
import { rowBlocks } from './blocks.js';
import { requireInteger, requireNumber } from './validate.js';

export interface SimilarityOptions {
  /** Multiplies the cosine similarities before the softmax (CLIP's learned scale, default 100). */
  logitScale?: number;
  /** Softmax over texts (default true); false returns the scaled cosine similarities. */
  softmax?: boolean;
  /** Also return the best `topK` texts per row. */
  topK?: number;
}

export interface SimilarityResult {
  /** rows × texts, row-major: probabilities with softmax, scaled similarities without. */
  scores: Float32Array;
  /** Index of the best text for every row. */
  labels: Int32Array;
  texts: number;
  /** rows × topK text indices and scores, best first (when `topK` is given). */
  top?: { indices: Int32Array; scores: Float32Array; k: number };
}

/**
 * CLIP zero-shot scoring: both sides L2-normalised, logitScale × cosine similarity, softmax
 * over the texts, argmax per image.
 */
export async function similarity(
  backend: Backend,
  images: DeviceMatrix,
  texts: DeviceMatrix,
  options: SimilarityOptions = {},
): Promise<SimilarityResult> {
  const logitScale = requireNumber('logitScale', options.logitScale ?? 100, 0, true);
  const softmax = options.softmax ?? true;
  if (typeof softmax !== 'boolean') throw optionError('softmax', `expected true or false, got ${String(softmax)}`);
  const t = texts.rows;
  const topK = options.topK === undefined ? undefined : requireInteger('topK', options.topK, 1, t);
  if (images.cols !== texts.cols) {
    throw inputError(`image embeddings have ${images.cols} dimensions and text embeddings ${texts.cols}; they must match`);
  }
  const scores = new Float32Array(images.rows * t);
  const labels = new Int32Array(images.rows);
  for (const [start, end] of rowBlocks(images.rows, t)) {
    const part = await backend.similarity(images, texts, logitScale, softmax, start, end);
    scores.set(part.scores, start * t);
    labels.set(part.labels, start);
  }
  const result: SimilarityResult = { scores, labels, texts: t };
  if (topK !== undefined) result.top = { ...topRows(scores, t, topK), k: topK };
  return result;
}

/** The `k` highest scores of each row (ties: lower index first). */
function topRows(scores: Float32Array, width: number, k: number): { indices: Int32Array; scores: Float32Array } {
  const rows = scores.length / width;
  const indices = new Int32Array(rows * k);
  const best = new Float32Array(rows * k);
  const order = Array.from({ length: width }, (_, j) => j);
  for (let i = 0; i < rows; i++) {
    const row = scores.subarray(i * width, (i + 1) * width);
    order.sort((a, b) => row[b]! - row[a]! || a - b);
    for (let j = 0; j < k; j++) {
      indices[i * k + j] = order[j]!;
      best[i * k + j] = row[order[j]!]!;
    }
  }
  return { indices, scores: best };
}
