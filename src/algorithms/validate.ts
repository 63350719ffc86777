import { optionError } from '../errors.js';

/** An integer option within [min, max]; the message names the option and the allowed range. */
export function requireInteger(option: string, value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw optionError(option, `expected an integer, got ${describe(value)}`);
  }
  if (value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `at least ${min}` : `between ${min} and ${max}`;
    throw optionError(option, `must be ${range}, got ${value}`);
  }
  return value;
}

/** A finite number option that is at least `min` (and, when `exclusive`, greater than it). */
export function requireNumber(option: string, value: unknown, min = -Infinity, exclusive = false): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw optionError(option, `expected a finite number, got ${describe(value)}`);
  }
  if (exclusive ? value <= min : value < min) {
    throw optionError(option, `must be ${exclusive ? 'greater than' : 'at least'} ${min}, got ${value}`);
  }
  return value;
}

/** One of a fixed set of strings. */
export function requireChoice<T extends string>(option: string, value: unknown, choices: readonly T[]): T {
  if (typeof value !== 'string' || !(choices as readonly string[]).includes(value)) {
    throw optionError(option, `expected one of ${choices.join(', ')}, got ${describe(value)}`);
  }
  return value as T;
}

function describe(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}
