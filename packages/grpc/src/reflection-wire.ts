/**
 * ServerReflectionRequest and ServerReflectionResponse on the protobuf wire
 * format, written by hand like the health and status messages. Field numbers
 * follow grpc/reflection/v1/reflection.proto; v1alpha's messages are the same
 * on the wire. The tests check this codec against that .proto.
 */
import { BinaryReader, BinaryWriter, WireType } from '@bufbuild/protobuf/wire';

export type ReflectionQuery =
  | { kind: 'fileByFilename'; name: string }
  | { kind: 'fileContainingSymbol'; symbol: string }
  | { kind: 'fileContainingExtension'; containingType: string; extensionNumber: number }
  | { kind: 'allExtensionNumbersOfType'; type: string }
  | { kind: 'listServices' }
  | { kind: 'none' };

export interface ReflectionRequest {
  host: string;
  query: ReflectionQuery;
  /** The request as received, echoed in the response's original_request. */
  raw: Uint8Array;
}

export type ReflectionAnswer =
  | { kind: 'files'; files: readonly Uint8Array[] }
  | { kind: 'extensionNumbers'; baseTypeName: string; numbers: readonly number[] }
  | { kind: 'services'; names: readonly string[] }
  | { kind: 'error'; code: number; message: string };

function decodeExtensionRequest(bytes: Uint8Array): ReflectionQuery {
  const reader = new BinaryReader(bytes);
  const query = { kind: 'fileContainingExtension' as const, containingType: '', extensionNumber: 0 };
  while (reader.pos < reader.len) {
    const [field, wireType] = reader.tag();
    if (field === 1 && wireType === WireType.LengthDelimited) query.containingType = reader.string();
    else if (field === 2 && wireType === WireType.Varint) query.extensionNumber = reader.int32();
    else reader.skip(wireType, field);
  }
  return query;
}

/** Throws on bytes that are not a ServerReflectionRequest. */
export function decodeReflectionRequest(bytes: Uint8Array): ReflectionRequest {
  const reader = new BinaryReader(bytes);
  const request: ReflectionRequest = { host: '', query: { kind: 'none' }, raw: bytes };
  while (reader.pos < reader.len) {
    const [field, wireType] = reader.tag();
    if (field === 1 && wireType === WireType.LengthDelimited) {
      request.host = reader.string();
      continue;
    }
    if (wireType !== WireType.LengthDelimited || field < 3 || field > 7) {
      reader.skip(wireType, field);
      continue;
    }
    // A oneof: the last member on the wire wins.
    if (field === 3) request.query = { kind: 'fileByFilename', name: reader.string() };
    else if (field === 4) request.query = { kind: 'fileContainingSymbol', symbol: reader.string() };
    else if (field === 5) request.query = decodeExtensionRequest(reader.bytes());
    else if (field === 6) request.query = { kind: 'allExtensionNumbersOfType', type: reader.string() };
    else {
      reader.string();
      request.query = { kind: 'listServices' };
    }
  }
  return request;
}

export function encodeReflectionResponse(request: ReflectionRequest, answer: ReflectionAnswer): Buffer {
  const writer = new BinaryWriter();
  if (request.host !== '') writer.tag(1, WireType.LengthDelimited).string(request.host);
  writer.tag(2, WireType.LengthDelimited).bytes(request.raw);
  switch (answer.kind) {
    case 'files': {
      writer.tag(4, WireType.LengthDelimited).fork();
      for (const file of answer.files) writer.tag(1, WireType.LengthDelimited).bytes(file);
      writer.join();
      break;
    }
    case 'extensionNumbers': {
      writer.tag(5, WireType.LengthDelimited).fork();
      writer.tag(1, WireType.LengthDelimited).string(answer.baseTypeName);
      if (answer.numbers.length > 0) {
        writer.tag(2, WireType.LengthDelimited).fork();
        for (const number of answer.numbers) writer.int32(number);
        writer.join();
      }
      writer.join();
      break;
    }
    case 'services': {
      writer.tag(6, WireType.LengthDelimited).fork();
      for (const name of answer.names) writer.tag(1, WireType.LengthDelimited).fork().tag(1, WireType.LengthDelimited).string(name).join();
      writer.join();
      break;
    }
    case 'error': {
      writer.tag(7, WireType.LengthDelimited).fork();
      if (answer.code !== 0) writer.tag(1, WireType.Varint).int32(answer.code);
      if (answer.message !== '') writer.tag(2, WireType.LengthDelimited).string(answer.message);
      writer.join();
      break;
    }
  }
  return Buffer.from(writer.finish());
}

/** A client's `list_services` request (field 7; the value is not looked at by servers). */
export function encodeListServicesRequest(): Buffer {
  return Buffer.from(new BinaryWriter().tag(7, WireType.LengthDelimited).string('*').finish());
}

/** What a client reads of a response to `list_services`: the names, or the server's error. */
export function decodeListServicesResponse(bytes: Uint8Array): ReflectionAnswer {
  const reader = new BinaryReader(bytes);
  let answer: ReflectionAnswer = { kind: 'services', names: [] };
  while (reader.pos < reader.len) {
    const [field, wireType] = reader.tag();
    if (field === 6 && wireType === WireType.LengthDelimited) answer = { kind: 'services', names: serviceNames(reader.bytes()) };
    else if (field === 7 && wireType === WireType.LengthDelimited) answer = errorAnswer(reader.bytes());
    else reader.skip(wireType, field);
  }
  return answer;
}

function serviceNames(bytes: Uint8Array): string[] {
  const reader = new BinaryReader(bytes);
  const names: string[] = [];
  while (reader.pos < reader.len) {
    const [field, wireType] = reader.tag();
    if (field !== 1 || wireType !== WireType.LengthDelimited) {
      reader.skip(wireType, field);
      continue;
    }
    const service = new BinaryReader(reader.bytes());
    while (service.pos < service.len) {
      const [nameField, nameType] = service.tag();
      if (nameField === 1 && nameType === WireType.LengthDelimited) names.push(service.string());
      else service.skip(nameType, nameField);
    }
  }
  return names;
}

function errorAnswer(bytes: Uint8Array): ReflectionAnswer {
  const reader = new BinaryReader(bytes);
  const answer = { kind: 'error' as const, code: 0, message: '' };
  while (reader.pos < reader.len) {
    const [field, wireType] = reader.tag();
    if (field === 1 && wireType === WireType.Varint) answer.code = reader.int32();
    else if (field === 2 && wireType === WireType.LengthDelimited) answer.message = reader.string();
    else reader.skip(wireType, field);
  }
  return answer;
}
