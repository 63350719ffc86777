import { afterAll, describe, expect, it } from 'vitest';
import { Matrix } from '../src/matrix.js';
import { DATASETS, dataset, maxScaledError, relativeError, type KMeansCase } from './helpers/fixtures.js';
import { describeLanes, openLanes } from './helpers/lanes.js';

const lanes = await openLanes();
afterAll(() => lanes.forEach((lane) => lane.engine?.dispose()));

describeLanes('k-means matches scikit-learn', lanes, (engine) => {
  for (const name of DATASETS) {
    describe(name, () => {
      const fixture = dataset(name);
      const fitFrom = (c: KMeansCase, algorithm: 'lloyd' | 'hamerly') =>
        engine.kmeans(fixture.x, {
          k: c.k,
          init: Matrix.from(Float32Array.from(c.init), c.k, fixture.d),
          maxIter: c.max_iter,
          tol: c.tol,
          algorithm,
        });

      const cases: [string, KMeansCase][] = [
        ...fixture.kmeans.map((c): [string, KMeansCase] => [`k=${c.k} from scikit-learn's k-means++ init`, c]),
        ['an init that leaves a cluster empty', fixture.kmeans_empty],
        [`max_iter=${fixture.kmeans_maxiter.max_iter}`, fixture.kmeans_maxiter],
      ];
      for (const [title, c] of cases) {
        for (const algorithm of ['lloyd', 'hamerly'] as const) {
          it(`${title} (${algorithm}): same labels, iterations, centroids and inertia`, async () => {
            const fit = await fitFrom(c, algorithm);
            expect(Array.from(fit.labels)).toEqual(c.labels);
            expect(fit.iterations).toBe(c.n_iter);
            expect(fit.converged).toBe(c.n_iter < c.max_iter);
            expect(relativeError(fit.inertia, c.inertia)).toBeLessThan(1e-6);
            expect(maxScaledError(fit.centroids.toFloat32Array(), c.centroids)).toBeLessThan(1e-5);
          });
        }
      }

      it(`default options: inertia within 1% of KMeans(n_init=10)`, async () => {
        const fit = await engine.kmeans(fixture.x, { k: fixture.kmeans_default.k });
        expect(fit.inertia / fixture.kmeans_default.inertia).toBeLessThan(1.01);
      });

      it('hamerly bounds skip distance evaluations', async () => {
        const c = fixture.kmeans[fixture.kmeans.length - 1]!;
        const [lloyd, hamerly] = [await fitFrom(c, 'lloyd'), await fitFrom(c, 'hamerly')];
        expect(lloyd.distanceEvaluations).toBe(fixture.n * c.k * (c.n_iter + (lloyd.converged ? 0 : 1)) || lloyd.distanceEvaluations);
        expect(hamerly.distanceEvaluations).toBeLessThan(lloyd.distanceEvaluations);
      });
    });
  }
});
