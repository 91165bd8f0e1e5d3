/**
 * The topology as an SVG graph: one node per service (the gateway first),
 * laid out in columns by distance from the gateway along the edges, arrows
 * for calls labelled with their protocol. A node's colour says how many of
 * its instances are healthy.
 */
import type { TopologyEdge, TopologyService } from '../api/types.ts';

const NODE_W = 132;
const NODE_H = 46;
const COL_GAP = 90;
const ROW_GAP = 26;
const MARGIN = 16;

export function columnsOf(names: string[], edges: TopologyEdge[], root = 'gateway'): string[][] {
  const depth = new Map<string, number>();
  const start = names.includes(root) ? root : names[0];
  if (start !== undefined) depth.set(start, 0);
  const queue = start === undefined ? [] : [start];
  while (queue.length > 0) {
    const at = queue.shift() as string;
    for (const edge of edges) {
      if (edge.from !== at || depth.has(edge.to)) continue;
      depth.set(edge.to, (depth.get(at) ?? 0) + 1);
      queue.push(edge.to);
    }
  }
  // Services nothing calls (yet) sit in a column of their own at the end.
  const deepest = Math.max(0, ...depth.values());
  const columns: string[][] = [];
  for (const name of [...names].sort()) {
    const column = depth.get(name) ?? deepest + 1;
    columns[column] = [...(columns[column] ?? []), name];
  }
  return columns.filter((c) => c !== undefined && c.length > 0);
}

function health(service: TopologyService | undefined): 'up' | 'partial' | 'down' | 'unknown' {
  if (service === undefined || service.instances.length === 0) return 'unknown';
  const healthy = service.instances.filter((i) => i.healthy && i.ejected !== true).length;
  if (healthy === service.instances.length) return 'up';
  return healthy === 0 ? 'down' : 'partial';
}

export function TopologyGraph({ services, edges }: { services: TopologyService[]; edges: TopologyEdge[] }) {
  const names = [...new Set([...services.map((s) => s.name), ...edges.flatMap((e) => [e.from, e.to])])];
  const columns = columnsOf(names, edges);
  const position = new Map<string, { x: number; y: number }>();
  for (const [c, column] of columns.entries()) {
    for (const [r, name] of column.entries())
      position.set(name, { x: MARGIN + c * (NODE_W + COL_GAP), y: MARGIN + r * (NODE_H + ROW_GAP) });
  }
  const width = MARGIN * 2 + Math.max(1, columns.length) * NODE_W + Math.max(0, columns.length - 1) * COL_GAP;
  const height = MARGIN * 2 + Math.max(1, ...columns.map((c) => c.length)) * (NODE_H + ROW_GAP) - ROW_GAP;
  const byName = new Map(services.map((s) => [s.name, s]));
  const summary = `${names.length} services: ${names.join(', ')}; ${edges.length} calls: ${edges.map((e) => `${e.from} to ${e.to} over ${e.protocol}`).join(', ')}`;

  return (
    <svg class="topology" width={width} height={height} viewBox={`0 0 ${width} ${height}`} role="img" aria-label={summary}>
      <defs>
        <marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
          <path d="M 0 0 L 10 5 L 0 10 z" class="edge-head" />
        </marker>
      </defs>
      {edges.map((edge) => {
        const a = position.get(edge.from);
        const b = position.get(edge.to);
        if (a === undefined || b === undefined) return null;
        const forward = b.x > a.x;
        const x1 = forward ? a.x + NODE_W : a.x + NODE_W / 2;
        const y1 = forward ? a.y + NODE_H / 2 : a.y + NODE_H;
        const x2 = forward ? b.x : b.x + NODE_W / 2;
        const y2 = forward ? b.y + NODE_H / 2 : b.y;
        return (
          <g key={`${edge.from}-${edge.to}-${edge.protocol}`} class={`edge edge-${edge.protocol}`}>
            <line x1={x1} y1={y1} x2={x2} y2={y2} marker-end="url(#arrow)" />
            <text x={(x1 + x2) / 2} y={(y1 + y2) / 2 - 4} text-anchor="middle">
              {edge.protocol}
            </text>
          </g>
        );
      })}
      {names.map((name) => {
        const at = position.get(name);
        if (at === undefined) return null;
        const service = byName.get(name);
        const state = health(service);
        const instances = service?.instances ?? [];
        const healthy = instances.filter((i) => i.healthy && i.ejected !== true).length;
        return (
          <g key={name} class={`node node-${state}`} transform={`translate(${at.x},${at.y})`}>
            <rect width={NODE_W} height={NODE_H} rx="8" />
            <text x={NODE_W / 2} y="19" text-anchor="middle" class="node-name">
              {name}
            </text>
            <text x={NODE_W / 2} y="36" text-anchor="middle" class="node-detail">
              {service === undefined ? 'not registered' : `${healthy}/${instances.length} healthy`}
            </text>
          </g>
        );
      })}
    </svg>
  );
}
