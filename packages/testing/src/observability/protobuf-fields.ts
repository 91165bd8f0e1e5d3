/** Walking protobuf messages field by field with @bufbuild/protobuf's wire reader, for the suites that decode OTLP. */
import { BinaryReader, type WireType } from '@bufbuild/protobuf/wire';

export const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

/** Calls `onField(fieldNo, reader)` for each field of the message in `bytes`; a field it does not read (returns false) is skipped. */
export function fields(bytes: Uint8Array, onField: (field: number, reader: BinaryReader) => boolean): void {
  const reader = new BinaryReader(bytes);
  while (reader.pos < reader.len) {
    const [field, wireType] = reader.tag();
    if (!onField(field, reader)) reader.skip(wireType as WireType);
  }
}
