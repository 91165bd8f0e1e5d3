/**
 * `flotilla new service NAME`: everything a new service needs, planned in
 * memory first (templates rendered, shared lists edited, gRPC code generated
 * in a scratch folder), then written as one change. A bad or taken name is a
 * usage error before anything is read from the templates.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../exit-codes.ts';
import { applyWrites, type FileWrites } from './apply.ts';
import { generateContracts } from './contracts.ts';
import { formatFiles } from './format.ts';
import { serviceNames, type ServiceNames } from './names.ts';
import { servicePackageJson, serviceTsconfig } from './package-files.ts';
import { chooseDevPorts } from './ports.ts';
import {
  addBundleEntry,
  addContractsNamespace,
  addGatewayRoute,
  addImage,
  addKustomizeResource,
  addProjectReference,
  addToServiceLayer,
  gatewayMentions,
} from './registrations.ts';
import { renderPath, renderTemplate, type TemplateValues } from './render.ts';
import { serviceTemplateFiles } from './template-files.ts';

export interface NewServiceOptions {
  database: boolean;
  grpc: boolean;
  gatewayRoute: boolean;
}

export interface NewServiceResult {
  name: string;
  folder: string;
  ports: { http: number; grpc?: number };
  database: boolean;
  grpc: boolean;
  /** Paths relative to the root, sorted. */
  created: string[];
  changed: string[];
  /** What could not be done automatically, and what to do instead. */
  warnings: string[];
}

const EXAMPLES = 'deploy/kubernetes/examples';

export async function scaffoldService(root: string, name: string, options: NewServiceOptions): Promise<NewServiceResult> {
  const names = serviceNames(name);
  const gateways = options.gatewayRoute ? gatewayConfigs(root) : [];
  refuseTaken(root, names, options, gateways);

  const ports = chooseDevPorts(root);
  const values: TemplateValues = { names, features: { database: options.database, grpc: options.grpc }, ports };
  const writes: FileWrites = new Map();
  const warnings: string[] = [];

  for (const template of serviceTemplateFiles(options.database)) {
    const text = renderTemplate(template.text, values, template.path);
    if (text !== '') writes.set(renderPath(template.path, values), text);
  }
  const folder = `services/${name}`;
  const packageInputs = { names, database: options.database, grpc: options.grpc };
  writes.set(`${folder}/package.json`, servicePackageJson(root, packageInputs));
  writes.set(`${folder}/tsconfig.json`, serviceTsconfig(packageInputs));

  const edit = (path: string, change: (text: string) => string | undefined, byHand: string): void => {
    const full = join(root, path);
    if (!existsSync(full)) {
      warnings.push(`${path} not found: ${byHand}`);
      return;
    }
    const before = writes.get(path) ?? readFileSync(full, 'utf8');
    const after = change(before);
    if (after === undefined) warnings.push(`${path} has an unexpected layout: ${byHand}`);
    else if (after !== before) writes.set(path, after);
  };
  const services = existingServices(root);
  edit('tsconfig.json', (t) => addProjectReference(t, folder), `add { "path": "${folder}" } to its references`);
  edit('.dependency-cruiser.cjs', (t) => addToServiceLayer(t, name, services), `add '${name}' to the services' layer of packageLayers`);
  edit('scripts/bundle.mjs', (t) => addBundleEntry(t, folder), `add '${folder}' to its entries`);
  edit(
    'scripts/images/images.ts',
    (t) => addImage(t, names, options.grpc ? [ports.http, ports.grpc] : [ports.http], options.grpc),
    `add an ImageSpec for flotilla/${name} to IMAGES`,
  );
  edit(`${EXAMPLES}/kustomization.yaml`, (t) => addKustomizeResource(t, `${name}.yaml`), `add ${name}.yaml to its resources`);
  for (const gateway of gateways) {
    const text = readFileSync(join(root, gateway), 'utf8');
    const routed = addGatewayRoute(text, name);
    if (routed === undefined) {
      throw new UsageError(
        `${gateway} has no block-style "upstreams:" and "routes:" to add ${name} to; add the route by hand, or leave out --gateway-route`,
      );
    }
    writes.set(gateway, routed);
  }

  if (options.grpc) {
    const protoPath = `proto/flotilla/${names.proto}/v1/${names.proto}.proto`;
    const protoText = writes.get(protoPath);
    if (protoText === undefined) throw new Error(`the service templates have no ${protoPath}`);
    for (const [path, text] of await generateContracts(root, protoPath, protoText)) {
      const target = `packages/contracts/src/gen/${path}`;
      const current = join(root, target);
      if (!existsSync(current) || readFileSync(current, 'utf8') !== text) writes.set(target, text);
    }
    edit('packages/contracts/src/index.ts', (t) => addContractsNamespace(t, names), `export * as ${names.camel} from './${name}.ts'`);
  }

  const created = [...writes.keys()].filter((path) => !existsSync(join(root, path))).sort();
  const changed = [...writes.keys()].filter((path) => existsSync(join(root, path))).sort();
  applyWrites(root, writes);
  const unformatted = await formatFiles(root, [...writes.keys()]);
  if (unformatted !== undefined) warnings.push(unformatted);

  return {
    name,
    folder,
    ports: options.grpc ? ports : { http: ports.http },
    database: options.database,
    grpc: options.grpc,
    created,
    changed,
    warnings,
  };
}

/** Any file or list entry the new service would take over is a usage error; nothing has been written yet. */
function refuseTaken(root: string, names: ServiceNames, options: NewServiceOptions, gateways: string[]): void {
  const { name } = names;
  const taken = (path: string): boolean => existsSync(join(root, path));
  const clash = (what: string): never => {
    throw new UsageError(`service "${name}" already exists: ${what}; choose another name`);
  };
  if (taken(`services/${name}`)) clash(`services/${name} is there`);
  if (taken(`packages/${name}`)) clash(`packages/${name} is a package of the same name`);
  for (const ns of namespaces(root)) if (taken(`config/${ns}/${name}.yaml`)) clash(`config/${ns}/${name}.yaml is there`);
  if (taken(`${EXAMPLES}/${name}.yaml`)) clash(`${EXAMPLES}/${name}.yaml is there`);
  if (options.grpc) {
    if (taken(`proto/flotilla/${names.proto}`)) clash(`proto/flotilla/${names.proto} is there`);
    if (taken(`packages/contracts/src/${name}.ts`)) clash(`packages/contracts/src/${name}.ts is there`);
  }
  for (const gateway of gateways) {
    if (gatewayMentions(readFileSync(join(root, gateway), 'utf8'), name)) clash(`${gateway} already routes to or names ${name}`);
  }
}

function namespaces(root: string): string[] {
  const config = join(root, 'config');
  if (!existsSync(config)) return [];
  return readdirSync(config, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
}

/** config/<ns>/gateway.yaml of every namespace that has one. */
function gatewayConfigs(root: string): string[] {
  const found = namespaces(root)
    .map((ns) => `config/${ns}/gateway.yaml`)
    .filter((path) => existsSync(join(root, path)));
  if (found.length === 0) throw new UsageError('--gateway-route: no config/<namespace>/gateway.yaml in this repository');
  return found;
}

function existingServices(root: string): string[] {
  const dir = join(root, 'services');
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name);
}
