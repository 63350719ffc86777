/**
 * One error type for everything a user can get wrong: the message names the option, column or
 * row at fault, so the CLI can print it as-is and the library caller can show it to a person.
 */
export type ErrorKind =
  | 'option' // an option has a bad value (k < 1, unknown metric, ...)
  | 'input' // the data itself is bad (NaN, text in a numeric column, ragged rows, ...)
  | 'file' // a file is missing, unreadable, empty or of an unknown type
  | 'backend'; // a requested backend cannot run here

export class ClusterkitError extends Error {
  readonly kind: ErrorKind;

  constructor(kind: ErrorKind, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ClusterkitError';
    this.kind = kind;
  }
}

/**
 * A backend's device went away mid-call (a GPU reset, a driver crash). An engine created with
 * `backend: 'auto'` catches exactly this and finishes the call on another backend.
 */
export class DeviceLostError extends ClusterkitError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('backend', message, options);
    this.name = 'DeviceLostError';
  }
}

export function optionError(option: string, message: string): ClusterkitError {
  return new ClusterkitError('option', `option ${option}: ${message}`);
}

export function inputError(message: string): ClusterkitError {
  return new ClusterkitError('input', message);
}

export function fileError(path: string, message: string, cause?: unknown): ClusterkitError {
  return new ClusterkitError('file', `${path}: ${message}`, { cause });
}

/** Describes a non-finite value for error messages ("NaN", "Infinity", "-Infinity"). */
export function describeNonFinite(value: number): string {
  return Number.isNaN(value) ? 'NaN' : value > 0 ? 'Infinity' : '-Infinity';
}
