/** diff and rollback, written once on top of each backend's get and set. */
import { NotFoundError } from '@flotilla/core';
import { keyPathChanges, parseConfigText } from './document.ts';
import { checkName, checkVersion, defaultAuthor } from './names.ts';
import { unifiedDiff } from './text-diff.ts';
import type { ConfigDiff, ConfigDocument, ConfigStore, RollbackOptions, SetOptions } from './types.ts';

export interface InternalSetOptions extends SetOptions {
  rollbackOf?: number;
}

export abstract class BaseConfigStore implements Pick<ConfigStore, 'diff' | 'rollback'> {
  abstract get(namespace: string, service: string, version?: number): Promise<ConfigDocument>;
  abstract head(namespace: string, service: string): Promise<number>;
  protected abstract write(namespace: string, service: string, text: string, options: InternalSetOptions): Promise<ConfigDocument>;

  async set(namespace: string, service: string, text: string, options: SetOptions): Promise<ConfigDocument> {
    checkVersion(options.expectedVersion, true);
    parseConfigText(text, `${namespace}/${service}`);
    return this.write(checkName('namespace', namespace), checkName('service', service), text, {
      expectedVersion: options.expectedVersion,
      ...pickWrite(options),
    });
  }

  async diff(namespace: string, service: string, from: number, to: number): Promise<ConfigDiff> {
    const [a, b] = await Promise.all([this.textAt(namespace, service, from), this.textAt(namespace, service, to)]);
    return {
      namespace,
      service,
      from,
      to,
      unified: unifiedDiff(a, b, `${namespace}/${service}@${from}`, `${namespace}/${service}@${to}`),
      changes: keyPathChanges(parseConfigText(a, `${service}@${from}`), parseConfigText(b, `${service}@${to}`)),
    };
  }

  async rollback(namespace: string, service: string, toVersion: number, options: RollbackOptions = {}): Promise<ConfigDocument> {
    const target = await this.get(namespace, service, checkVersion(toVersion));
    const expectedVersion = options.expectedVersion ?? (await this.head(namespace, service));
    return this.write(namespace, service, target.text, {
      expectedVersion,
      rollbackOf: toVersion,
      ...pickWrite(options),
      message: options.message ?? `rollback to version ${toVersion}`,
    });
  }

  private async textAt(namespace: string, service: string, version: number): Promise<string> {
    if (checkVersion(version, true) === 0) return '';
    return (await this.get(namespace, service, version)).text;
  }
}

function pickWrite(options: { author?: string; message?: string }): { author?: string; message?: string } {
  return {
    ...(options.author === undefined ? {} : { author: options.author }),
    ...(options.message === undefined ? {} : { message: options.message }),
  };
}

export function notFound(namespace: string, service: string, version?: number): NotFoundError {
  return new NotFoundError(
    version === undefined ? `no config document ${namespace}/${service}` : `${namespace}/${service} has no version ${version}`,
  );
}

/** The version a write stores on top of `head`: one shape for every backend. */
export function nextDocument(
  namespace: string,
  service: string,
  head: number,
  text: string,
  options: InternalSetOptions,
  env: Record<string, string | undefined>,
): ConfigDocument {
  return {
    namespace,
    service,
    version: head + 1,
    time: new Date().toISOString(),
    author: options.author ?? defaultAuthor(env),
    message: options.message ?? '',
    ...(options.rollbackOf === undefined ? {} : { rollbackOf: options.rollbackOf }),
    text,
  };
}
