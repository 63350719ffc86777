import { describe, it } from 'vitest';
import type { BackendName } from '../../src/backends/backend.js';
import { Engine } from '../../src/engine.js';

export interface Lane {
  backend: BackendName;
  engine: Engine | undefined;
  /** Why the lane cannot run here, when it cannot. */
  reason: string | undefined;
}

const ALL: readonly BackendName[] = ['js', 'wasm', 'webgpu'];

/**
 * One lane per backend. A lane that cannot run is reported as skipped, with the reason; under
 * CI=true it is a failure instead, since CI is set up to run every backend.
 */
export async function openLanes(): Promise<Lane[]> {
  const only = process.env.CLUSTERKIT_BACKENDS?.split(',') as BackendName[] | undefined;
  const lanes: Lane[] = [];
  for (const backend of only ?? ALL) {
    try {
      lanes.push({ backend, engine: await Engine.create({ backend }), reason: undefined });
    } catch (error) {
      lanes.push({ backend, engine: undefined, reason: (error as Error).message });
    }
  }
  return lanes;
}

/** describe() per lane; skipped lanes say why, and fail under CI. */
export function describeLanes(title: string, lanes: Lane[], body: (engine: Engine, backend: BackendName) => void): void {
  for (const lane of lanes) {
    if (lane.engine) {
      const engine = lane.engine;
      describe(`${title} [${lane.backend}]`, () => body(engine, lane.backend));
    } else if (process.env.CI === 'true') {
      describe(`${title} [${lane.backend}]`, () => {
        it('backend is available in CI', () => {
          throw new Error(`backend ${lane.backend} must run in CI but cannot: ${lane.reason}`);
        });
      });
    } else {
      describe.skip(`${title} [${lane.backend}] — skipped: ${lane.reason}`, () => {
        it('needs the backend', () => {});
      });
    }
  }
}
