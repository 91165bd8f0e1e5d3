/**
 * Reading OTLP trace exports back: the fields of each span a person or a test
 * looks at (ids, names, kinds, times, attributes, status), with
 * @bufbuild/protobuf's wire reader. The counterpart of otlp-encoding.ts, for
 * whatever receives spans (the dev supervisor's local collector, tests).
 */
import { BinaryReader, type WireType } from '@bufbuild/protobuf/wire';

export type OtlpAttributeValue = string | number | boolean | undefined;

export interface OtlpSpan {
  service: string;
  scope: string;
  traceId: string;
  spanId: string;
  /** '' for a root span. */
  parentSpanId: string;
  traceState: string;
  name: string;
  /** 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  kind: number;
  startNs: bigint;
  endNs: bigint;
  attributes: Record<string, OtlpAttributeValue>;
  /** 0 unset, 1 ok, 2 error. */
  statusCode: number;
}

export const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

/** Calls `onField(fieldNo, reader)` for each field of the message in `bytes`; a field it does not read (returns false) is skipped. */
export function fields(bytes: Uint8Array, onField: (field: number, reader: BinaryReader) => boolean): void {
  const reader = new BinaryReader(bytes);
  while (reader.pos < reader.len) {
    const [field, wireType] = reader.tag();
    if (!onField(field, reader)) reader.skip(wireType as WireType);
  }
}

function anyValue(bytes: Uint8Array): OtlpAttributeValue {
  let value: OtlpAttributeValue;
  fields(bytes, (field, r) => {
    if (field === 1) value = r.string();
    else if (field === 2) value = r.bool();
    else if (field === 3) value = Number(r.int64());
    else if (field === 4) value = r.double();
    else return false;
    return true;
  });
  return value;
}

function keyValue(bytes: Uint8Array): [string, OtlpAttributeValue] {
  let key = '';
  let value: OtlpAttributeValue;
  fields(bytes, (field, r) => {
    if (field === 1) key = r.string();
    else if (field === 2) value = anyValue(r.bytes());
    else return false;
    return true;
  });
  return [key, value];
}

function span(bytes: Uint8Array, service: string, scope: string): OtlpSpan {
  const result: OtlpSpan = {
    service,
    scope,
    traceId: '',
    spanId: '',
    parentSpanId: '',
    traceState: '',
    name: '',
    kind: 0,
    startNs: 0n,
    endNs: 0n,
    attributes: {},
    statusCode: 0,
  };
  fields(bytes, (field, r) => {
    switch (field) {
      case 1:
        result.traceId = hex(r.bytes());
        return true;
      case 2:
        result.spanId = hex(r.bytes());
        return true;
      case 3:
        result.traceState = r.string();
        return true;
      case 4:
        result.parentSpanId = hex(r.bytes());
        return true;
      case 5:
        result.name = r.string();
        return true;
      case 6:
        result.kind = r.int32();
        return true;
      case 7:
        result.startNs = BigInt(r.fixed64());
        return true;
      case 8:
        result.endNs = BigInt(r.fixed64());
        return true;
      case 9: {
        const [k, v] = keyValue(r.bytes());
        result.attributes[k] = v;
        return true;
      }
      case 15:
        fields(r.bytes(), (f, s) => {
          if (f !== 3) return false;
          result.statusCode = s.int32();
          return true;
        });
        return true;
      default:
        return false;
    }
  });
  return result;
}

/** The spans of an OTLP `ExportTraceServiceRequest` (protobuf), with their resource's `service.name` and their scope. */
export function decodeTraceExport(body: Uint8Array): OtlpSpan[] {
  const spans: OtlpSpan[] = [];
  fields(body, (field, r) => {
    if (field !== 1) return false;
    let service = '';
    const scopeSpans: Uint8Array[] = [];
    fields(r.bytes(), (f, rs) => {
      if (f === 1) {
        fields(rs.bytes(), (g, res) => {
          if (g !== 1) return false;
          const [k, v] = keyValue(res.bytes());
          if (k === 'service.name') service = String(v);
          return true;
        });
      } else if (f === 2) scopeSpans.push(rs.bytes());
      else return false;
      return true;
    });
    for (const bytes of scopeSpans) {
      let scope = '';
      const raw: Uint8Array[] = [];
      fields(bytes, (f, ss) => {
        if (f === 1)
          fields(ss.bytes(), (g, sc) => {
            if (g !== 1) return false;
            scope = sc.string();
            return true;
          });
        else if (f === 2) raw.push(ss.bytes());
        else return false;
        return true;
      });
      for (const s of raw) spans.push(span(s, service, scope));
    }
    return true;
  });
  return spans;
}
