import { open, type FileHandle } from 'node:fs/promises';
import { extname } from 'node:path';
import { ClusterkitError, fileError } from '../errors.js';

export type TableFormat = 'csv' | 'parquet' | 'arrow' | 'npy';

const FORMAT_BY_EXTENSION: Readonly<Record<string, TableFormat>> = {
  '.csv': 'csv',
  '.parquet': 'parquet',
  '.arrow': 'arrow',
  '.feather': 'arrow', // Feather v2 is the Arrow IPC file format
  '.ipc': 'arrow',
  '.npy': 'npy',
};

/** Rows per record batch for the formats whose batch size is ours to choose. */
export const BATCH_ROWS = 65_536;

/** The table format of `path` by its extension; an error lists the extensions `supported`. */
export function formatOf<F extends TableFormat>(path: string, supported: readonly F[], action: 'read' | 'written'): F {
  const extension = extname(path).toLowerCase();
  const format = FORMAT_BY_EXTENSION[extension] as F | undefined;
  if (format && supported.includes(format)) return format;
  const known = Object.keys(FORMAT_BY_EXTENSION).filter((ext) => supported.includes(FORMAT_BY_EXTENSION[ext] as F));
  const what = extension ? `"${extension}" files` : 'files without an extension';
  throw fileError(path, `${what} cannot be ${action}; use one of ${known.join(', ')}`);
}

/** A file error for a failed file-system call, in words rather than errno codes. */
export function fsError(path: string, err: unknown, action: 'read' | 'written'): ClusterkitError {
  const code = errnoCode(err);
  if (code === 'ENOENT') return fileError(path, action === 'read' ? 'no such file' : 'its directory does not exist', err);
  const reason =
    code === 'EACCES' || code === 'EPERM'
      ? 'permission denied'
      : code === 'EISDIR'
        ? 'it is a directory'
        : code === 'ENOSPC'
          ? 'no space left on the device'
          : messageOf(err);
  return fileError(path, `cannot be ${action} (${reason})`, err);
}

/**
 * Turns an error thrown while decoding `path` into a file error saying the file is not valid
 * `formatName`; our own errors (which already name the file) and file-system errors pass
 * through or are described as such.
 */
export function decodeError(path: string, formatName: string, err: unknown): ClusterkitError {
  if (err instanceof ClusterkitError) return err;
  if (errnoCode(err) !== undefined) return fsError(path, err, 'read');
  return fileError(path, `is not a valid ${formatName} file (${messageOf(err)})`, err);
}

/** The code of a failed system call ("ENOENT", ...); undefined for other errors. */
function errnoCode(err: unknown): string | undefined {
  const { code, syscall } = (err ?? {}) as NodeJS.ErrnoException;
  return typeof code === 'string' && syscall !== undefined ? code : undefined;
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Opens `path` for reading; failures are file errors naming it. */
export async function openForReading(path: string): Promise<FileHandle> {
  try {
    return await open(path, 'r');
  } catch (err) {
    throw fsError(path, err, 'read');
  }
}

/** A temporary file being written, and the path it becomes once complete. */
export interface OutputFile {
  readonly handle: FileHandle;
  readonly tempPath: string;
  /** The target, named in error messages. */
  readonly path: string;
}

/** Writes all of `chunk` at the file's current position (one write call may write less). */
export async function writeFully(out: OutputFile, chunk: Uint8Array | string): Promise<void> {
  const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
  try {
    for (let offset = 0; offset < bytes.byteLength; ) {
      offset += (await out.handle.write(bytes, offset)).bytesWritten;
    }
  } catch (err) {
    throw fsError(out.path, err, 'written');
  }
}
