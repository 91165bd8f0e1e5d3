/**
 * Config centre: pick a namespace and a service, see the live version, edit
 * the document (validate, then apply with a message), read the history, diff
 * any two versions, roll back, and export or import a whole namespace.
 * Every write goes through `/admin/config-centre` and is recorded with the
 * session's subject as its author.
 */
import { useEffect, useState } from 'preact/hooks';
import { get, seg } from '../../api/client.ts';
import type { ConfigDocument, ConfigServiceHead, HistoryEntry } from '../../api/types.ts';
import { ErrorNotice, Loading, StatusNotice } from '../../components/notice.tsx';
import { time } from '../../format.ts';
import { useResource } from '../../hooks/use-resource.ts';
import { CENTRE } from './centre-path.ts';
import { DocumentEditor } from './editor.tsx';
import { DiffPanel, HistoryTable, RollbackForm } from './history.tsx';
import { TransferPanel } from './transfer.tsx';

export function ConfigPage() {
  const [namespacesRevision, setNamespacesRevision] = useState(0);
  const namespaces = useResource(() => get<{ namespaces: string[] }>(`${CENTRE}/namespaces`), [namespacesRevision]);
  const [ns, setNs] = useState<string | undefined>(undefined);
  const [service, setService] = useState<string | undefined>(undefined);
  const [revision, setRevision] = useState(0);

  const names = namespaces.data?.namespaces ?? [];
  useEffect(() => {
    if (ns === undefined && names.length > 0) setNs(names.includes('dev') ? 'dev' : names[0]);
  }, [names.join(','), ns]);

  const services = useResource(
    () => (ns === undefined ? Promise.resolve(undefined) : get<{ services: ConfigServiceHead[] }>(`${CENTRE}/${seg(ns)}`)),
    [ns, revision],
  );
  const heads = services.data?.services ?? [];
  useEffect(() => {
    if (heads.length > 0 && (service === undefined || !heads.some((h) => h.service === service))) {
      setService(heads.some((h) => h.service === 'gateway') ? 'gateway' : heads[0]?.service);
    }
  }, [heads.map((h) => h.service).join(','), service]);

  return (
    <>
      <h2>Config centre</h2>
      <ErrorNotice error={namespaces.error} what="Namespaces" />
      <form class="card picker" onSubmit={(e) => e.preventDefault()}>
        <label for="config-ns">Namespace</label>
        <select id="config-ns" value={ns ?? ''} onChange={(e) => setNs(e.currentTarget.value)}>
          {names.map((name) => (
            <option key={name} value={name}>
              {name}
            </option>
          ))}
        </select>
        <label for="config-service">Service</label>
        <select id="config-service" value={service ?? ''} onChange={(e) => setService(e.currentTarget.value)}>
          {heads.map((head) => (
            <option key={head.service} value={head.service}>
              {head.service}
            </option>
          ))}
        </select>
      </form>
      <ErrorNotice error={services.error} what="Services" />
      {ns !== undefined && service !== undefined ? (
        <ServiceConfig key={`${ns}/${service}`} ns={ns} service={service} revision={revision} changed={() => setRevision((r) => r + 1)} />
      ) : null}
      <TransferPanel
        ns={ns}
        imported={(target) => {
          setNamespacesRevision((r) => r + 1);
          setNs(target);
          setRevision((r) => r + 1);
        }}
      />
    </>
  );
}

function ServiceConfig({ ns, service, revision, changed }: { ns: string; service: string; revision: number; changed: () => void }) {
  const base = `${CENTRE}/${seg(ns)}/${seg(service)}`;
  // Kept here: the editor and the forms below start afresh on each new version, the news of it stays.
  const [news, setNews] = useState<string | undefined>(undefined);
  const announce = (text: string): void => {
    setNews(text);
    changed();
  };
  const current = useResource(() => get<ConfigDocument>(base), [base, revision]);
  const history = useResource(() => get<{ entries: HistoryEntry[] }>(`${base}/history`), [base, revision]);
  const entries = history.data?.entries ?? [];
  const head = entries[0];
  return (
    <>
      <section aria-labelledby="live-heading" class="card">
        <h3 id="live-heading">
          {service} in {ns}
        </h3>
        <ErrorNotice error={current.error} what="Document" />
        {current.data === undefined ? (
          current.error === undefined ? (
            <Loading what="the document" />
          ) : null
        ) : (
          <>
            <p>
              Live version <strong data-testid="live-version">{current.data.version}</strong>
              {head === undefined ? '' : `, by ${head.author} at ${time(head.at)}`}
            </p>
            <StatusNotice text={news} />
            <DocumentEditor key={`${base}@${current.data.version}`} base={base} current={current.data} changed={announce} />
          </>
        )}
      </section>
      <section aria-labelledby="history-heading" class="card">
        <h3 id="history-heading">History</h3>
        <ErrorNotice error={history.error} what="History" />
        <HistoryTable entries={entries} />
        <DiffPanel key={`diff-${head?.version}`} base={base} entries={entries} />
        <RollbackForm key={`rollback-${head?.version}`} base={base} entries={entries} changed={announce} />
      </section>
    </>
  );
}
