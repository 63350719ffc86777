export type { TableFormat } from './files.js';
export { openTable, type TableSource } from './read.js';
export { readMatrix, type ColumnSelection, type MatrixInput, type MatrixRead, type ReadOptions } from './to-matrix.js';
export { appendColumns, dropColumns, schemaWith, writeTable, writeTextFile, type NewColumn } from './write.js';
