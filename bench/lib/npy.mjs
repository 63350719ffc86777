/**
 * Minimal .npy (format 1.0) writer and reader for the benchmark's hand-off files.
 *
 * The benchmark exchanges data, initial centroids and labels with the Python peer through .npy
 * so that both sides read the identical float32 bytes. The library's own reader only takes
 * float matrices; labels need int32/int64 too, hence this small copy-free helper.
 */
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';

const MAGIC = '\x93NUMPY';
const DESCR = new Map([
  [Float32Array, '<f4'],
  [Float64Array, '<f8'],
  [Int32Array, '<i4'],
]);
const ARRAY_OF = { '<f4': Float32Array, '<f8': Float64Array, '<i4': Int32Array, '<i8': BigInt64Array };

/** Writes a C-ordered array of `shape` (1-D or 2-D) from a typed array. */
export function writeNpy(path, array, shape) {
  const descr = DESCR.get(array.constructor);
  if (!descr) throw new TypeError(`writeNpy: unsupported array type ${array.constructor.name}`);
  const dims = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${dims}, }`;
  // NumPy pads the header with spaces so the data starts 64-byte aligned, ending in '\n'.
  const unpadded = MAGIC.length + 2 + 2 + header.length + 1;
  header += ' '.repeat((64 - (unpadded % 64)) % 64) + '\n';
  const prefix = Buffer.alloc(MAGIC.length + 4);
  prefix.write(MAGIC, 0, 'latin1');
  prefix[6] = 1; // major version
  prefix[7] = 0;
  prefix.writeUInt16LE(header.length, 8);
  // Header first, then the data in pieces: one Buffer of a large array would exceed Node's limit.
  writeFileSync(path, Buffer.concat([prefix, Buffer.from(header, 'latin1')]));
  const piece = 1 << 28;
  for (let done = 0; done < array.byteLength; done += piece) {
    appendFileSync(path, new Uint8Array(array.buffer, array.byteOffset + done, Math.min(piece, array.byteLength - done)));
  }
}

/** Reads a .npy file; int64 arrays (NumPy's default int) come back as Int32Array. */
export function readNpy(path) {
  const bytes = readFileSync(path);
  if (bytes.toString('latin1', 0, 6) !== MAGIC) throw new Error(`${path}: not a .npy file`);
  const major = bytes[6];
  const headerLength = major === 1 ? bytes.readUInt16LE(8) : bytes.readUInt32LE(8);
  const start = major === 1 ? 10 : 12;
  const header = bytes.toString('latin1', start, start + headerLength);
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const shape = (/'shape':\s*\(([^)]*)\)/.exec(header)?.[1] ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map(Number);
  const Type = ARRAY_OF[descr];
  if (!Type || /'fortran_order':\s*True/.test(header)) throw new Error(`${path}: unsupported .npy layout ${header.trim()}`);
  const offset = start + headerLength;
  // Copy into a fresh, aligned buffer: the file's data offset need not be aligned for the type.
  const raw = new Type(bytes.buffer.slice(bytes.byteOffset + offset, bytes.byteOffset + bytes.length));
  const data = raw instanceof BigInt64Array ? Int32Array.from(raw, Number) : raw;
  return { data, shape };
}
