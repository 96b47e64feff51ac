/**
 * gRPC services straight from .proto files with protobufjs, (de)serialising exactly as @grpc/proto-loader does
 * (`toObject(decode(bytes), options)` in, `encode(fromObject(object))` out, proto field names). proto-loader also
 * builds a descriptor object and the serialised FileDescriptorProtos of every message in the loaded files (141
 * types for the two Envoy services), which only gRPC reflection reads; skipping it took 1.4 MiB off the
 * authz-server's idle RSS (bench/RESULTS.md).
 */
import { accessSync, constants } from 'node:fs';
import { createRequire } from 'node:module';
import { isAbsolute, join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import protobuf from 'protobufjs';

/** How decoded messages look (protobufjs `toObject` options; the loader's `longs`, `enums`, `defaults`, `oneofs`). */
export interface ProtoObjectOptions {
  longs: typeof String;
  enums: typeof String | typeof Number;
  defaults: boolean;
  oneofs: boolean;
}

const require = createRequire(import.meta.url);

// Envoy's and Palisade's annotations extend google.protobuf.*Options; protobufjs bundles descriptor.proto as JSON
// but does not register it among its `common` files (proto-loader does so when it is imported).
protobuf.common('descriptor', (require('protobufjs/google/protobuf/descriptor.json') as { nested: { google: { nested: { protobuf: { nested: protobuf.INamespace['nested'] } } } } }).nested.google.nested.protobuf.nested as Record<string, protobuf.INamespace>);

function serializer(type: protobuf.Type): (value: object) => Buffer {
  return (value) => {
    if (Array.isArray(value)) throw new Error(`Failed to serialize message: expected object with ${type.name} structure, got array instead`);
    return Buffer.from(type.encode(type.fromObject(value)).finish());
  };
}

function deserializer(type: protobuf.Type, options: protobuf.IConversionOptions): (bytes: Buffer) => object {
  return (bytes) => type.toObject(type.decode(bytes), options);
}

/** A method's messages as protobufjs decodes and encodes them, without the plain-object conversions. */
export interface MessageCodec {
  /**
   * Bytes -> the decoded message (a protobufjs message: unset scalars, repeated fields and maps read as their
   * defaults from its prototype, unset messages as null, 64-bit integers as Longs, enums as numbers). Throws on bytes
   * that are not the message.
   */
  decode(bytes: Buffer): object;
  /**
   * Object -> bytes, without `fromObject`: the object must already hold each field in its wire type (numbers for
   * enums, nested plain objects, strings, booleans, Buffers); anything else is not written.
   */
  encode(message: object): Buffer;
}

const codecs = new WeakMap<grpc.MethodDefinition<object, object>, { request: MessageCodec; response: MessageCodec }>();

function messageCodec(type: protobuf.Type): MessageCodec {
  return {
    decode: (bytes) => type.decode(bytes),
    // protobufjs's writer in Node is a BufferWriter: finish() already returns a Buffer.
    encode: (message) => type.encode(message as protobuf.Message).finish() as Buffer,
  };
}

/**
 * The raw codecs of a method of a service `loadProtoServices` built (its `.service[name]`), for a path that reads
 * only the fields it knows and builds only well-typed responses; undefined for any other definition.
 */
export function rawCodecs(def: grpc.MethodDefinition<object, object> | undefined): { request: MessageCodec; response: MessageCodec } | undefined {
  return def ? codecs.get(def) : undefined;
}

function serviceDefinition(service: protobuf.Service, name: string, options: protobuf.IConversionOptions): grpc.ServiceDefinition {
  const def: Record<string, grpc.MethodDefinition<object, object>> = {};
  for (const method of service.methodsArray) {
    const req = method.resolvedRequestType as protobuf.Type;
    const res = method.resolvedResponseType as protobuf.Type;
    def[method.name] = {
      path: `/${name}/${method.name}`,
      requestStream: !!method.requestStream,
      responseStream: !!method.responseStream,
      requestSerialize: serializer(req),
      requestDeserialize: deserializer(req, options),
      responseSerialize: serializer(res),
      responseDeserialize: deserializer(res, options),
      // The loader's camelCase of a PascalCase rpc name (clients also get this alias).
      originalName: method.name.charAt(0).toLowerCase() + method.name.slice(1),
    };
    codecs.set(def[method.name] as grpc.MethodDefinition<object, object>, { request: messageCodec(req), response: messageCodec(res) });
  }
  return def as grpc.ServiceDefinition;
}

/**
 * Loads `files` (paths relative to one of `includeDirs`, and their imports) and returns a client constructor for
 * every service they declare, keyed by its full name (`envoy.service.auth.v3.Authorization`); `.service` is the
 * definition a server adds. Throws when a file or an imported type is missing.
 */
export function loadProtoServices(files: readonly string[], includeDirs: readonly string[], options: ProtoObjectOptions): Map<string, grpc.ServiceClientConstructor> {
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => {
    if (isAbsolute(target)) return target;
    for (const dir of includeDirs) {
      const path = join(dir, target);
      try {
        accessSync(path, constants.R_OK);
        return path;
      } catch {
        // not in this include directory
      }
    }
    // google/protobuf/* are bundled with protobufjs; anything else fails to open, with its name.
    return target;
  };
  root.loadSync([...files], { keepCase: true });
  root.resolveAll();
  const services = new Map<string, grpc.ServiceClientConstructor>();
  const visit = (ns: protobuf.NamespaceBase) => {
    for (const obj of ns.nestedArray) {
      if (obj instanceof protobuf.Service) {
        const name = obj.fullName.slice(1);
        services.set(name, grpc.makeGenericClientConstructor(serviceDefinition(obj, name, { ...options }), name));
      } else if (obj instanceof protobuf.Namespace) visit(obj);
    }
  };
  visit(root);
  return services;
}
