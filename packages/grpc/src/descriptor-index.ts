/**
 * What server reflection looks up in a binary FileDescriptorSet: each file's
 * bytes exactly as the set holds them (never re-encoded, so nothing the
 * compiler wrote is lost), the file declaring each fully qualified symbol,
 * the file declaring each extension (by extendee and field number), and a
 * file's transitive imports. A set whose files import something it lacks is
 * refused here, at server creation, rather than failing in a client later.
 */
import { fromBinary } from '@bufbuild/protobuf';
import { BinaryReader, WireType } from '@bufbuild/protobuf/wire';
import {
  type DescriptorProto,
  type EnumDescriptorProto,
  type FieldDescriptorProto,
  FileDescriptorProtoSchema,
  type FileDescriptorProto,
} from '@bufbuild/protobuf/wkt';

interface IndexedFile {
  proto: FileDescriptorProto;
  bytes: Uint8Array;
}

/** google.protobuf.FileDescriptorSet.file: each element's bytes as written. */
function splitFileDescriptorSet(descriptorSet: Uint8Array): Uint8Array[] {
  const reader = new BinaryReader(descriptorSet);
  const files: Uint8Array[] = [];
  while (reader.pos < reader.len) {
    const [field, wireType] = reader.tag();
    if (field === 1 && wireType === WireType.LengthDelimited) files.push(reader.bytes());
    else reader.skip(wireType, field);
  }
  return files;
}

/** "pkg.Type" from ".pkg.Type" (type references in descriptors are fully qualified with a leading dot). */
function withoutLeadingDot(name: string): string {
  return name.startsWith('.') ? name.slice(1) : name;
}

export class DescriptorIndex {
  private readonly files = new Map<string, IndexedFile>();
  private readonly symbols = new Map<string, string>();
  private readonly messages = new Set<string>();
  private readonly services = new Set<string>();
  /** extendee → field number → file name */
  private readonly extensions = new Map<string, Map<number, string>>();

  constructor(descriptorSet: Uint8Array) {
    for (const bytes of splitFileDescriptorSet(descriptorSet)) {
      const proto = fromBinary(FileDescriptorProtoSchema, bytes);
      if (this.files.has(proto.name)) continue;
      this.files.set(proto.name, { proto, bytes });
      this.indexFile(proto);
    }
    for (const { proto } of this.files.values()) {
      const missing = proto.dependency.filter((name) => !this.files.has(name));
      if (missing.length > 0) {
        throw new Error(
          `The descriptor set lacks ${missing.join(', ')}, imported by ${proto.name}: reflection clients could not resolve its types`,
        );
      }
    }
  }

  /** Whether service `name` (fully qualified, e.g. "flotilla.users.v1.UserService") is declared in the set. */
  hasService(name: string): boolean {
    return this.services.has(withoutLeadingDot(name));
  }

  /** The file declaring `symbol` and every file it imports, transitively; undefined when unknown. */
  fileContainingSymbol(symbol: string): Uint8Array[] | undefined {
    const file = this.symbols.get(withoutLeadingDot(symbol));
    return file === undefined ? undefined : this.withImports(file);
  }

  /** The file named `name` and every file it imports, transitively; undefined when unknown. */
  fileByFilename(name: string): Uint8Array[] | undefined {
    return this.files.has(name) ? this.withImports(name) : undefined;
  }

  /** The file declaring extension `number` of `extendee` and its imports; undefined when unknown. */
  fileContainingExtension(extendee: string, number: number): Uint8Array[] | undefined {
    const file = this.extensions.get(withoutLeadingDot(extendee))?.get(number);
    return file === undefined ? undefined : this.withImports(file);
  }

  /** The extension numbers declared for message `extendee` (ascending); undefined when no such message. */
  extensionNumbersOf(extendee: string): number[] | undefined {
    const name = withoutLeadingDot(extendee);
    if (!this.messages.has(name)) return undefined;
    return [...(this.extensions.get(name)?.keys() ?? [])].sort((a, b) => a - b);
  }

  /** The file first, then its imports depth first, each once. */
  private withImports(fileName: string): Uint8Array[] {
    const seen = new Set<string>();
    const out: Uint8Array[] = [];
    const visit = (name: string): void => {
      if (seen.has(name)) return;
      seen.add(name);
      const file = this.files.get(name);
      if (file === undefined) return;
      out.push(file.bytes);
      for (const dependency of file.proto.dependency) visit(dependency);
    };
    visit(fileName);
    return out;
  }

  private indexFile(file: FileDescriptorProto): void {
    const scope = file.package === '' ? '' : `${file.package}.`;
    const add = (name: string): void => {
      if (!this.symbols.has(name)) this.symbols.set(name, file.name);
    };
    const addExtension = (extension: FieldDescriptorProto, prefix: string): void => {
      add(`${prefix}${extension.name}`);
      const extendee = withoutLeadingDot(extension.extendee);
      const byNumber = this.extensions.get(extendee) ?? new Map<number, string>();
      this.extensions.set(extendee, byNumber);
      if (!byNumber.has(extension.number)) byNumber.set(extension.number, file.name);
    };
    // Enum values are scoped beside their enum, not inside it (as in C++).
    const addEnum = (enumType: EnumDescriptorProto, prefix: string): void => {
      add(`${prefix}${enumType.name}`);
      for (const value of enumType.value) add(`${prefix}${value.name}`);
    };
    const addMessage = (message: DescriptorProto, prefix: string): void => {
      const name = `${prefix}${message.name}`;
      add(name);
      this.messages.add(name);
      for (const field of message.field) add(`${name}.${field.name}`);
      for (const oneof of message.oneofDecl) add(`${name}.${oneof.name}`);
      for (const nested of message.nestedType) addMessage(nested, `${name}.`);
      for (const nested of message.enumType) addEnum(nested, `${name}.`);
      for (const extension of message.extension) addExtension(extension, `${name}.`);
    };
    for (const message of file.messageType) addMessage(message, scope);
    for (const enumType of file.enumType) addEnum(enumType, scope);
    for (const extension of file.extension) addExtension(extension, scope);
    for (const service of file.service) {
      const name = `${scope}${service.name}`;
      add(name);
      this.services.add(name);
      for (const method of service.method) add(`${name}.${method.name}`);
    }
  }
}
