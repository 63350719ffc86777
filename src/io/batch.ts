import * as arrow from 'apache-arrow';

/** A record batch of `schema` from one column of data per field, each `length` rows long. */
export function makeBatch(schema: arrow.Schema, length: number, columns: readonly arrow.Data[]): arrow.RecordBatch {
  const data = arrow.makeData({ type: new arrow.Struct(schema.fields), length, nullCount: 0, children: [...columns] });
  return new arrow.RecordBatch(schema, data);
}

/** A batch of `schema` with no rows. */
export function emptyBatch(schema: arrow.Schema): arrow.RecordBatch {
  return makeBatch(
    schema,
    0,
    schema.fields.map((field) => arrow.vectorFromArray([], field.type).data[0]!),
  );
}
