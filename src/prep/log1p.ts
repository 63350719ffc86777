import type * as arrow from 'apache-arrow';
import { inputError } from '../errors.js';
import { checkNames, ColumnStep, float64Data, float64Field, isNumericType, readNumbers } from './table.js';

/**
 * log(1 + x) of the named numeric columns (NumPy's `np.log1p`), for skewed counts and amounts.
 * A value ≤ −1 (where log1p is −∞ or undefined) is an error naming its column and row;
 * missing values stay missing. Nothing to fit: the same transform applies to any table.
 */
export class Log1p extends ColumnStep {
  readonly columns: readonly string[];

  constructor(columns: readonly string[]) {
    super();
    checkNames('log1p', columns);
    this.columns = [...columns];
  }

  protected outputFields(field: arrow.Field): arrow.Field[] {
    if (!isNumericType(field.type)) throw inputError(`column "${field.name}" is not numeric (${field.type}); log1p needs numbers`);
    return [float64Field(field)];
  }

  protected transformColumn(column: string, _index: number, data: arrow.Data, firstRow: number): arrow.Data[] {
    const values = readNumbers(data, column, firstRow);
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      if (v <= -1) throw inputError(`column "${column}", row ${firstRow + i + 1}: value ${v} is ≤ −1; log1p is undefined there`);
      values[i] = Math.log1p(v);
    }
    return [float64Data(values)];
  }

  toJSON(): Record<string, unknown> {
    return { step: 'log1p', columns: [...this.columns] };
  }
}

/** The log1p step for the named columns. */
export function log1pColumns(columns: readonly string[]): Log1p {
  return new Log1p(columns);
}
