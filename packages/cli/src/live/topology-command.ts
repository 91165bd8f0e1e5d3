/**
 * `flotilla topology`: the services and instances the gateway knows, and who
 * calls whom (its `GET /admin/topology`, the console's Topology page).
 */
import type { Command } from 'commander';
import { sendAdminJson } from '../admin-json.ts';
import { action } from '../exit-codes.ts';
import { GATEWAY_URL_HELP, gatewayUrl } from '../gateway-url.ts';
import { formatTable, printJson, printLines } from '../output.ts';

interface Topology {
  services: Array<{
    name: string;
    instances: Array<{ id: string; address: string; zone: string; version: string; healthy: boolean; ejected: boolean; weight: number }>;
  }>;
  edges: Array<{ from: string; to: string; protocol: string; routes: string[] }>;
}

export function registerTopologyCommand(program: Command): void {
  program
    .command('topology')
    .description('Show the services and instances the gateway knows, and who calls whom')
    .option('--url <url>', GATEWAY_URL_HELP)
    .option('--json', 'print machine-readable JSON')
    .addHelpText('after', '\nNeeds an admin credential for the gateway: $FLOTILLA_API_KEY or $FLOTILLA_TOKEN.')
    .action(
      action(async (options: { url?: string; json?: boolean }) => {
        const topology = await sendAdminJson<Topology>('GET', gatewayUrl(options.url), '/admin/topology');
        if (options.json) return printJson(topology);
        const instances = topology.services.flatMap((service) =>
          service.instances.map((i) => [
            service.name,
            i.id,
            i.address,
            i.zone,
            i.version,
            i.ejected ? 'ejected' : i.healthy ? 'healthy' : 'unhealthy',
            String(i.weight),
          ]),
        );
        printLines(formatTable(['SERVICE', 'INSTANCE', 'ADDRESS', 'ZONE', 'VERSION', 'HEALTH', 'WEIGHT'], instances));
        printLines([
          '',
          ...topology.edges.map((e) => `${e.from} -> ${e.to} (${e.protocol}${e.routes.length > 0 ? `: ${e.routes.join(', ')}` : ''})`),
        ]);
      }),
    );
}
