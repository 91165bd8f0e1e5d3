// The grammar of a container image reference, checked with a message that says which part
// is wrong (the kubelet would only report a pull failure, long after the apply):
//
//   reference  = [registry "/"] path [":" tag] ["@" digest]
//   registry   = host [":" port]        the first component, when it has a "." or ":", is
//                                       "localhost", or has an upper-case letter
//   host       = label *("." label)     label = [A-Za-z0-9] or [A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9];
//                                       or an IPv6 address in brackets
//   path       = component *("/" component)
//   component  = [a-z0-9]+ *(separator [a-z0-9]+)   separator = "." | "_" | "__" | "-"+
//   tag        = [A-Za-z0-9_] *127[A-Za-z0-9_.-]
//   digest     = "sha256:" 64 hex | "sha384:" 96 hex | "sha512:" 128 hex   (lower-case hex)
//
// registry and path together are at most 255 characters.
import { isIP } from 'node:net';

export interface ImageReference {
  registry?: string;
  path: string;
  tag?: string;
  digest?: string;
}

export class ImageReferenceError extends Error {
  readonly code = 'invalid-image-reference';
}

const LABEL = /^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?$/;
const COMPONENT = /^[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const DIGEST_HEX_LENGTH: Record<string, number> = { sha256: 64, sha384: 96, sha512: 128 };

function fail(image: string, why: string): never {
  throw new ImageReferenceError(`image "${image}" is not a valid reference: ${why}`);
}

function checkDigest(image: string, digest: string): void {
  const [algorithm = '', hex = '', ...rest] = digest.split(':');
  const want = DIGEST_HEX_LENGTH[algorithm];
  if (want === undefined || rest.length > 0)
    fail(image, `the digest "${digest}" must be sha256:, sha384: or sha512: followed by lower-case hex digits`);
  if (hex.length !== want || !/^[a-f0-9]+$/.test(hex))
    fail(image, `the ${algorithm} digest must be ${want} lower-case hex digits (got ${hex.length} characters: "${hex}")`);
}

function checkRegistry(image: string, registry: string): void {
  const bracketed = /^\[([^\]]*)\](?::(.*))?$/.exec(registry);
  let host: string;
  let port: string | undefined;
  if (bracketed) {
    [host, port] = [bracketed[1]!, bracketed[2]];
    if (isIP(host) !== 6) fail(image, `the registry host "[${host}]" is not an IPv6 address`);
  } else {
    const parts = registry.split(':');
    if (parts.length > 2) fail(image, `the registry "${registry}" has more than one ":" (an IPv6 address goes in brackets)`);
    [host = '', port] = parts;
    for (const label of host.split('.')) {
      if (!LABEL.test(label))
        fail(image, `the registry host "${host}" must be DNS labels (letters, digits and "-", not at either end) separated by "."`);
    }
  }
  if (port !== undefined && !(/^\d{1,5}$/.test(port) && Number(port) >= 1 && Number(port) <= 65535))
    fail(image, `the registry port "${port}" must be a number from 1 to 65535`);
}

function checkPath(image: string, path: string): void {
  for (const component of path.split('/')) {
    if (component === '') fail(image, 'the repository path has an empty component (a leading, trailing or doubled "/")');
    if (!COMPONENT.test(component)) {
      const hint = component !== component.toLowerCase() ? ' (upper-case letters are not allowed)' : '';
      fail(
        image,
        `the repository path component "${component}" must be lower-case letters and digits, separated by ".", "_", "__" or "-"${hint}`,
      );
    }
  }
}

/** Splits and checks `image`; throws ImageReferenceError naming the part that is wrong. */
export function parseImageReference(image: string): ImageReference {
  if (image === '') fail(image, 'it is empty');
  if (/[\s\p{Cc}]/u.test(image)) fail(image, 'it contains white space or control characters');
  const [named = '', digest, ...more] = image.split('@');
  if (more.length > 0) fail(image, 'it has more than one "@"');
  if (digest !== undefined) checkDigest(image, digest);

  const lastSlash = named.lastIndexOf('/');
  const tagColon = named.indexOf(':', lastSlash + 1);
  const name = tagColon >= 0 ? named.slice(0, tagColon) : named;
  const tag = tagColon >= 0 ? named.slice(tagColon + 1) : undefined;
  if (tag !== undefined && !TAG.test(tag))
    fail(image, `the tag "${tag}" must be 1 to 128 letters, digits, "_", "." or "-", and not start with "." or "-"`);
  if (name === '') fail(image, 'the repository name is missing');
  if (name.length > 255) fail(image, `the repository name is ${name.length} characters long (at most 255)`);

  const firstSlash = name.indexOf('/');
  const first = firstSlash >= 0 ? name.slice(0, firstSlash) : '';
  const hasRegistry = firstSlash >= 0 && (/[.:]/.test(first) || first === 'localhost' || first !== first.toLowerCase());
  const registry = hasRegistry ? first : undefined;
  const path = hasRegistry ? name.slice(firstSlash + 1) : name;
  if (registry !== undefined) checkRegistry(image, registry);
  checkPath(image, path);
  return {
    ...(registry === undefined ? {} : { registry }),
    path,
    ...(tag === undefined ? {} : { tag }),
    ...(digest === undefined ? {} : { digest }),
  };
}
