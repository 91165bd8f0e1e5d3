/** Topology: the services, their instances and who calls whom (`GET /admin/topology`, refreshed). */
import { get } from '../api/client.ts';
import type { Topology } from '../api/types.ts';
import { ErrorNotice, Loading } from '../components/notice.tsx';
import { TopologyGraph } from '../components/topology-graph.tsx';
import { useResource } from '../hooks/use-resource.ts';

const REFRESH_MS = 3_000;

export function TopologyPage() {
  const topology = useResource(() => get<Topology>('/admin/topology'), [], REFRESH_MS);
  const data = topology.data;
  return (
    <>
      <h2>Topology</h2>
      <ErrorNotice error={topology.error} what="Topology" />
      {data === undefined ? (
        topology.error === undefined ? (
          <Loading what="the topology" />
        ) : null
      ) : (
        <>
          <section aria-labelledby="graph-heading" class="card">
            <h3 id="graph-heading">Services and calls</h3>
            <div class="scroll">
              <TopologyGraph services={data.services} edges={data.edges} />
            </div>
            <p class="legend muted">
              <span class="swatch node-up" /> all instances healthy <span class="swatch node-partial" /> some{' '}
              <span class="swatch node-down" /> none <span class="swatch node-unknown" /> no instance registered
            </p>
          </section>
          <section aria-labelledby="instances-heading" class="card">
            <h3 id="instances-heading">Instances</h3>
            <table>
              <thead>
                <tr>
                  <th scope="col">Service</th>
                  <th scope="col">Instance</th>
                  <th scope="col">Address</th>
                  <th scope="col">Zone</th>
                  <th scope="col">Version</th>
                  <th scope="col">Health</th>
                  <th scope="col">Weight</th>
                  <th scope="col">In flight</th>
                </tr>
              </thead>
              <tbody>
                {data.services.flatMap((service) =>
                  service.instances.length === 0
                    ? [
                        <tr key={service.name}>
                          <th scope="row">{service.name}</th>
                          <td colSpan={7} class="muted">
                            no instance registered
                          </td>
                        </tr>,
                      ]
                    : service.instances.map((instance) => (
                        <tr key={`${service.name}/${instance.id}`}>
                          <th scope="row">{service.name}</th>
                          <td>
                            <code>{instance.id}</code>
                          </td>
                          <td>{instance.address}</td>
                          <td>{instance.zone ?? '–'}</td>
                          <td>{instance.version ?? '–'}</td>
                          <td>
                            <span class={`badge ${instance.ejected ? 'bad' : instance.healthy ? 'good' : 'bad'}`}>
                              {instance.ejected ? 'ejected' : instance.healthy ? 'healthy' : 'unhealthy'}
                            </span>
                          </td>
                          <td>{instance.weight ?? '–'}</td>
                          <td>{instance.outstanding ?? '–'}</td>
                        </tr>
                      )),
                )}
              </tbody>
            </table>
            <h3>Calls</h3>
            <ul>
              {data.edges.map((edge) => (
                <li key={`${edge.from}-${edge.to}-${edge.protocol}`}>
                  {edge.from} → {edge.to} over {edge.protocol}
                  {edge.routes !== undefined && edge.routes.length > 0 ? ` (${edge.routes.join(', ')})` : ''}
                </li>
              ))}
            </ul>
          </section>
        </>
      )}
    </>
  );
}
