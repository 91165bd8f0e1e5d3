/**
 * The config centre answers, and every document of the namespace passes what
 * `flotilla config set` checks before storing (validateDocument): YAML, and
 * the service's published JSON Schema with the service's layering.
 */
import { ConfigError, type ConfigStore, SHARED_DOCUMENT } from '@flotilla/config';
import { isFlotillaError } from '@flotilla/kit';
import { openStore } from '../config/store-options.ts';
import { validateDocument } from '../config/validate.ts';
import { type Check, type CheckResult, type DoctorContext, failed, firstLine, passed } from './check.ts';

export const configValid: Check = async (context) => {
  const { namespace, store: options } = context;
  const where = describeCentre(context);
  let store: ConfigStore;
  let documents: string[];
  try {
    store = await openStore(options);
  } catch (error) {
    return [failed('config-centre', `config centre (${where}) cannot be opened: ${firstLine(error)}`, centreFix(context, error))];
  }
  try {
    documents = await store.list(namespace);
  } catch (error) {
    await store.close().catch(() => undefined);
    return [failed('config-centre', `config centre (${where}) does not answer: ${firstLine(error)}`, centreFix(context, error))];
  }
  try {
    const results: CheckResult[] = [
      passed('config-centre', `config centre (${where}) answers: ${documents.length} documents in ${namespace}`),
    ];
    for (const service of documents) results.push(await checkDocument(store, context, service));
    return results;
  } finally {
    await store.close();
  }
};

async function checkDocument(store: ConfigStore, context: DoctorContext, service: string): Promise<CheckResult> {
  const { namespace, configDir } = context;
  const id = `config:${namespace}/${service}`;
  const edit = `flotilla config edit --ns ${namespace} --service ${service}`;
  try {
    const current = await store.current(namespace, service);
    if (current === undefined) return passed(id, `${namespace}/${service}: history only, no current document`);
    const notes = await validateDocument(store, namespace, service, current.text, { schemaCheck: true, configDir });
    const unchecked = notes.filter((note) => note.startsWith('no schema known')).length;
    if (service === SHARED_DOCUMENT) {
      return passed(
        id,
        `${namespace}/${service} is valid YAML${notes.length > unchecked ? `, and valid with the schemas of ${notes.length - unchecked} services` : ''}`,
      );
    }
    return passed(
      id,
      unchecked > 0
        ? `${namespace}/${service} is valid YAML (no schema published yet: start ${service} once to check its keys too)`
        : `${namespace}/${service} is valid against the ${service} schema`,
    );
  } catch (error) {
    if (error instanceof ConfigError) {
      const problems = error.problems.map((p) => `${p.key || '(root)'}: ${p.rule}`).join('; ');
      return failed(id, `${namespace}/${service} is invalid: ${problems}`, `${edit} (or fix the file and check again)`, 'config');
    }
    return failed(id, `${namespace}/${service} cannot be checked: ${firstLine(error)}`, centreFix(context, error));
  }
}

function describeCentre({ store, configDir }: DoctorContext): string {
  const backend = store.backend ?? process.env.FLOTILLA_CONFIG_BACKEND ?? 'file';
  if (backend === 'etcd') return `etcd at ${store.etcd ?? process.env.FLOTILLA_CONFIG_ETCD_ENDPOINTS ?? '(no endpoints)'}`;
  if (backend === 'kubernetes') return 'Kubernetes ConfigMaps';
  return `files in ${configDir}`;
}

function centreFix(context: DoctorContext, error: unknown): string {
  const backend = context.store.backend ?? process.env.FLOTILLA_CONFIG_BACKEND ?? 'file';
  if (isFlotillaError(error) && (error.code === 'forbidden' || error.code === 'unauthenticated'))
    return 'grant the config reader Role of deploy/kubernetes/rbac, or use other credentials (--kubeconfig)';
  if (backend === 'etcd')
    return 'start etcd at that address (or set FLOTILLA_CONFIG_ETCD_ENDPOINTS), or unset FLOTILLA_CONFIG_BACKEND to use the files';
  if (backend === 'kubernetes')
    return 'check the kubeconfig and cluster (kubectl get configmaps), or unset FLOTILLA_CONFIG_BACKEND to use the files';
  return `check that ${context.configDir} exists and is readable`;
}
