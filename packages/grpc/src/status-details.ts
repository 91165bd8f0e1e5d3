/**
 * The rich error model (google.rpc.Status in the `grpc-status-details-bin`
 * trailer) encoded by hand on the protobuf wire format. The kit only needs
 * Status, Any, BadRequest and ErrorInfo; a few dozen lines spare it a runtime
 * dependency on generated code. Field numbers follow google/rpc/status.proto
 * and google/rpc/error_details.proto (copies in proto/google/rpc), and the
 * tests decode what this writes with the generated @flotilla/contracts types.
 */
import { BinaryReader, BinaryWriter, WireType } from '@bufbuild/protobuf/wire';

export const STATUS_DETAILS_TRAILER = 'grpc-status-details-bin';
export const BAD_REQUEST_TYPE_URL = 'type.googleapis.com/google.rpc.BadRequest';
export const ERROR_INFO_TYPE_URL = 'type.googleapis.com/google.rpc.ErrorInfo';

export interface BadRequestViolation {
  field: string;
  description: string;
  /** Stable rule name (google.rpc.BadRequest.FieldViolation.reason). */
  reason: string;
}

export interface ErrorInfo {
  reason: string;
  domain: string;
  metadata: Record<string, string>;
}

export interface StatusDetails {
  code: number;
  message: string;
  /** Present when the status carried a google.rpc.BadRequest. */
  fieldViolations?: BadRequestViolation[];
  /** Present when the status carried a google.rpc.ErrorInfo. */
  errorInfo?: ErrorInfo;
}

export function encodeStatusDetails(status: StatusDetails): Uint8Array {
  const writer = new BinaryWriter();
  if (status.code !== 0) writer.tag(1, WireType.Varint).int32(status.code);
  if (status.message !== '') writer.tag(2, WireType.LengthDelimited).string(status.message);
  if (status.fieldViolations !== undefined) {
    writeAny(writer, BAD_REQUEST_TYPE_URL, encodeBadRequest(status.fieldViolations));
  }
  if (status.errorInfo !== undefined) writeAny(writer, ERROR_INFO_TYPE_URL, encodeErrorInfo(status.errorInfo));
  return writer.finish();
}

/** Decodes a google.rpc.Status; details of types the kit does not know are skipped. Throws on malformed bytes. */
export function decodeStatusDetails(bytes: Uint8Array): StatusDetails {
  const reader = new BinaryReader(bytes);
  const status: StatusDetails = { code: 0, message: '' };
  while (reader.pos < reader.len) {
    const [field, wireType] = reader.tag();
    if (field === 1 && wireType === WireType.Varint) status.code = reader.int32();
    else if (field === 2 && wireType === WireType.LengthDelimited) status.message = reader.string();
    else if (field === 3 && wireType === WireType.LengthDelimited) {
      const any = readAny(reader.bytes());
      if (any.typeUrl === BAD_REQUEST_TYPE_URL) status.fieldViolations = decodeBadRequest(any.value);
      else if (any.typeUrl === ERROR_INFO_TYPE_URL) status.errorInfo = decodeErrorInfo(any.value);
    } else reader.skip(wireType, field);
  }
  return status;
}

function writeAny(writer: BinaryWriter, typeUrl: string, value: Uint8Array): void {
  writer.tag(3, WireType.LengthDelimited).fork();
  writer.tag(1, WireType.LengthDelimited).string(typeUrl);
  writer.tag(2, WireType.LengthDelimited).bytes(value);
  writer.join();
}

function readAny(bytes: Uint8Array): { typeUrl: string; value: Uint8Array } {
  const reader = new BinaryReader(bytes);
  let typeUrl = '';
  let value: Uint8Array = new Uint8Array(0);
  while (reader.pos < reader.len) {
    const [field, wireType] = reader.tag();
    if (field === 1 && wireType === WireType.LengthDelimited) typeUrl = reader.string();
    else if (field === 2 && wireType === WireType.LengthDelimited) value = reader.bytes();
    else reader.skip(wireType, field);
  }
  return { typeUrl, value };
}

function encodeBadRequest(violations: BadRequestViolation[]): Uint8Array {
  const writer = new BinaryWriter();
  for (const violation of violations) {
    writer.tag(1, WireType.LengthDelimited).fork();
    if (violation.field !== '') writer.tag(1, WireType.LengthDelimited).string(violation.field);
    if (violation.description !== '') writer.tag(2, WireType.LengthDelimited).string(violation.description);
    if (violation.reason !== '') writer.tag(3, WireType.LengthDelimited).string(violation.reason);
    writer.join();
  }
  return writer.finish();
}

function decodeBadRequest(bytes: Uint8Array): BadRequestViolation[] {
  const reader = new BinaryReader(bytes);
  const violations: BadRequestViolation[] = [];
  while (reader.pos < reader.len) {
    const [field, wireType] = reader.tag();
    if (field === 1 && wireType === WireType.LengthDelimited) violations.push(decodeFieldViolation(reader.bytes()));
    else reader.skip(wireType, field);
  }
  return violations;
}

function decodeFieldViolation(bytes: Uint8Array): BadRequestViolation {
  const reader = new BinaryReader(bytes);
  const violation: BadRequestViolation = { field: '', description: '', reason: '' };
  while (reader.pos < reader.len) {
    const [field, wireType] = reader.tag();
    if (wireType !== WireType.LengthDelimited) reader.skip(wireType, field);
    else if (field === 1) violation.field = reader.string();
    else if (field === 2) violation.description = reader.string();
    else if (field === 3) violation.reason = reader.string();
    else reader.skip(wireType, field);
  }
  return violation;
}

function encodeErrorInfo(info: ErrorInfo): Uint8Array {
  const writer = new BinaryWriter();
  if (info.reason !== '') writer.tag(1, WireType.LengthDelimited).string(info.reason);
  if (info.domain !== '') writer.tag(2, WireType.LengthDelimited).string(info.domain);
  // map<string, string> is a repeated entry message {key = 1, value = 2}.
  for (const [key, value] of Object.entries(info.metadata)) {
    writer.tag(3, WireType.LengthDelimited).fork();
    writer.tag(1, WireType.LengthDelimited).string(key);
    writer.tag(2, WireType.LengthDelimited).string(value);
    writer.join();
  }
  return writer.finish();
}

function decodeErrorInfo(bytes: Uint8Array): ErrorInfo {
  const reader = new BinaryReader(bytes);
  // A null-prototype map: keys come off the wire and may be "__proto__".
  const info: ErrorInfo = { reason: '', domain: '', metadata: Object.create(null) as Record<string, string> };
  while (reader.pos < reader.len) {
    const [field, wireType] = reader.tag();
    if (wireType !== WireType.LengthDelimited) reader.skip(wireType, field);
    else if (field === 1) info.reason = reader.string();
    else if (field === 2) info.domain = reader.string();
    else if (field === 3) {
      const entry = new BinaryReader(reader.bytes());
      let key = '';
      let value = '';
      while (entry.pos < entry.len) {
        const [entryField, entryWireType] = entry.tag();
        if (entryField === 1 && entryWireType === WireType.LengthDelimited) key = entry.string();
        else if (entryField === 2 && entryWireType === WireType.LengthDelimited) value = entry.string();
        else entry.skip(entryWireType, entryField);
      }
      info.metadata[key] = value;
    } else reader.skip(wireType, field);
  }
  return info;
}
