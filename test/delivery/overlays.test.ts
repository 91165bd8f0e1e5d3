/**
 * deploy/kubernetes as kustomize builds it: the platform (CRDs and operator) and each
 * environment's overlay build with the pinned kustomize, and the real API server admits
 * every object with a server-side dry-run apply (dryRun=All) once the Microservice and
 * Database CRDs and the namespaces exist. Also what each overlay is meant to change: the
 * namespace, the config namespace, the RoleBinding subjects, per-environment sizes, and
 * where users and orders get their databases. What `flotilla deploy render` prints is
 * admitted the same way.
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { kubeconfigOrSkipReason, runCli } from '@flotilla/testing';
import { kubectl } from '../../scripts/test-services/kube.ts';
import { deployDir, dryRunApply, ENVIRONMENTS, find, installCrds, kustomizeBuild, objectsOf, overlayDir } from './support/delivery.ts';

const found = kubeconfigOrSkipReason();
const skip = 'skip' in found ? found.skip : false;
const kubeconfig = 'kubeconfig' in found ? found.kubeconfig : '';

/** The namespaces this suite made; flotilla-system is shared with the operator's suites and stays. */
const created: string[] = [];

describe('deploy/kubernetes against a real API server', { skip }, () => {
  before(async () => {
    await installCrds(kubeconfig, [join(deployDir, 'crds')], ['microservices.flotilla.dev', 'databases.flotilla.dev']);
  });
  after(async () => {
    if (created.length > 0) await kubectl(kubeconfig, 'delete', 'namespace', '--wait=false', '--ignore-not-found', ...created);
  });

  test('the platform (CRD and operator) builds and is admitted', async () => {
    const text = await kustomizeBuild(deployDir);
    const objects = objectsOf(text);
    assert.equal(objects[0]?.metadata.name, 'flotilla-system');
    // Every CRD of crds/ (kustomize lists files one by one: a new CRD file must be added to it).
    const crdFiles = readdirSync(join(deployDir, 'crds')).filter((name) => name.endsWith('.yaml'));
    assert.deepEqual(
      objects.filter((o) => o.kind === 'CustomResourceDefinition').map((o) => `${o.metadata.name}.yaml`),
      crdFiles.sort(),
    );
    assert.ok(find(objects, 'Deployment', 'flotilla-operator'));
    await kubectl(kubeconfig, 'apply', '--server-side', '-f', join(deployDir, 'operator', 'namespace.yaml'));
    const { stdout } = await dryRunApply(kubeconfig, text);
    assert.match(stdout, /deployment\.apps\/flotilla-operator serverside-applied \(server dry run\)/);
    assert.equal(stdout.trim().split('\n').length, objects.length, stdout);
  });

  for (const env of ENVIRONMENTS) {
    test(`overlays/${env} builds and every object is admitted in flotilla-${env}`, async () => {
      const text = await kustomizeBuild(overlayDir(env));
      const objects = objectsOf(text);
      const namespace = find(objects, 'Namespace', `flotilla-${env}`);
      // The namespace itself for real (a dry run stores nothing, and the rest lives in it), then the whole stream dry.
      created.push(namespace.metadata.name);
      await kubectl(
        kubeconfig,
        'apply',
        '--server-side',
        '--field-manager=flotilla-delivery-test',
        '-f',
        join(overlayDir(env), 'namespace.yaml'),
      );
      const { stdout } = await dryRunApply(kubeconfig, text);
      const admitted = stdout.trim().split('\n');
      assert.equal(admitted.length, objects.length, stdout);
      for (const line of admitted) assert.match(line, /serverside-applied \(server dry run\)$/);
      for (const name of ['users', 'orders', 'greeter', 'gateway'])
        assert.ok(admitted.includes(`microservice.flotilla.dev/${name} serverside-applied (server dry run)`), stdout);
      for (const name of ['users', 'orders'])
        assert.ok(admitted.includes(`database.flotilla.dev/${name} serverside-applied (server dry run)`), stdout);

      // The same objects as `flotilla deploy render` prints them (its YAML as kubectl reads it).
      const rendered = await runCli(['deploy', 'render', '--env', env]);
      assert.equal(rendered.code, 0, rendered.stderr);
      const again = await dryRunApply(kubeconfig, rendered.stdout);
      assert.deepEqual(again.stdout.trim().split('\n'), admitted);
    });

    test(`overlays/${env} moves everything into flotilla-${env} and configures it from config/${env}`, async () => {
      const objects = objectsOf(await kustomizeBuild(overlayDir(env)));
      for (const object of objects.filter((o) => o.kind !== 'Namespace')) assert.equal(object.metadata.namespace, `flotilla-${env}`);
      // Each Role is bound to the ServiceAccount of this namespace, not to the one of `default`.
      for (const binding of objects.filter((o) => o.kind === 'RoleBinding'))
        for (const subject of binding.subjects ?? []) assert.equal(subject.namespace, `flotilla-${env}`, binding.metadata.name);
      const services = objects.filter((o) => o.kind === 'Microservice');
      assert.deepEqual(services.map((s) => s.metadata.name).sort(), ['gateway', 'greeter', 'orders', 'users']);
      for (const service of services) {
        const spec = service.spec as { config: { namespace: string; inline: Record<string, string> }; resources?: { requests?: object } };
        assert.equal(spec.config.namespace, env);
        assert.equal(spec.config.inline.FLOTILLA_CONFIG_BACKEND, 'kubernetes');
        assert.ok(spec.resources?.requests, `${service.metadata.name} has resource requests`);
      }
    });
  }

  test('the environments differ in size: dev one replica and no database, prod the most', async () => {
    const replicas = async (env: string, name: string): Promise<number> => {
      const spec = find(objectsOf(await kustomizeBuild(overlayDir(env))), 'Microservice', name).spec as Spec;
      return spec.autoscaling?.minReplicas ?? spec.replicas ?? 1;
    };
    for (const name of ['users', 'orders', 'greeter', 'gateway']) {
      assert.equal(await replicas('dev', name), 1, name);
      assert.ok((await replicas('staging', name)) <= (await replicas('prod', name)), name);
    }
    const dev = objectsOf(await kustomizeBuild(overlayDir('dev'))).filter((o) => o.kind === 'Microservice');
    for (const service of dev) {
      const spec = service.spec as Spec;
      assert.equal(spec.autoscaling, undefined, service.metadata.name);
      assert.equal(spec.env, undefined, `${service.metadata.name} needs no Secret in dev`);
      assert.equal(spec.database, undefined, `${service.metadata.name} keeps SQLite in the Pod in dev`);
    }
  });

  test('staging and prod: users and orders get their databases from the Databases, made from the Secret pg-admin', async () => {
    for (const env of ENVIRONMENTS) {
      const objects = objectsOf(await kustomizeBuild(overlayDir(env)));
      // Every environment has the base's two Databases (dev leaves them unused).
      for (const name of ['users', 'orders']) {
        const database = find(objects, 'Database', name).spec as DatabaseSpec;
        assert.deepEqual(
          { engine: database.engine, server: database.server, databaseName: database.databaseName },
          { engine: 'postgresql', server: { secretRef: { name: 'pg-admin', key: 'dsn' } }, databaseName: name },
          `${env}: Database ${name}`,
        );
        assert.equal(database.deletionPolicy, 'Retain', `${env}: deleting Database ${name} keeps the data`);
        if (env === 'dev') continue;
        const spec = find(objects, 'Microservice', name).spec as Spec;
        assert.deepEqual(spec.database, { name }, `${env}: Microservice ${name} names its Database`);
        assert.equal(spec.env, undefined, `${env}: ${name} reads no hand-made Secret`);
      }
      for (const name of ['greeter', 'gateway'])
        assert.equal((find(objects, 'Microservice', name).spec as Spec).database, undefined, `${env}: ${name} has no database`);
    }
  });
});

interface Spec {
  replicas?: number;
  autoscaling?: { minReplicas?: number };
  env?: unknown[];
  database?: { name: string };
}

interface DatabaseSpec {
  engine?: string;
  server?: { secretRef: { name: string; key?: string } };
  databaseName?: string;
  deletionPolicy?: string;
}
