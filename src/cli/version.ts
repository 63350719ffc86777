import { createRequire } from 'node:module';

// dist/cli/version.js and src/cli/version.ts both sit two levels below package.json.
export const VERSION: string = (createRequire(import.meta.url)('../../package.json') as { version: string }).version;
