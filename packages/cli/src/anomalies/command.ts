/**
 * `flotilla anomalies --url <service>`: the anomalies a running service has
 * raised (p99 latency or error ratio per route/upstream, against its robust
 * baseline), from its `/admin/anomalies`.
 */
import type { Command } from 'commander';
import { ANOMALIES_PATH, type ActiveAnomaly } from '@flotilla/telemetry';
import { getAdminJson } from '../admin-json.ts';
import { action } from '../exit-codes.ts';
import { formatTable, printJson, printLines } from '../output.ts';

interface AnomaliesAnswer {
  service: string;
  anomalies: ActiveAnomaly[];
}

export function registerAnomalyCommands(program: Command): void {
  program
    .command('anomalies')
    .description('List the anomalies a running service has raised (latency p99 or error ratio above baseline)')
    .requiredOption('--url <url>', "the service's HTTP base URL, e.g. http://127.0.0.1:8080")
    .option('--json', 'print machine-readable JSON')
    .addHelpText(
      'after',
      "\nThe gateway's /admin endpoints need an admin credential: $FLOTILLA_API_KEY or $FLOTILLA_TOKEN.\nExample:\n  FLOTILLA_API_KEY=flk_dev_admin_key_for_local_use_only flotilla anomalies --url http://127.0.0.1:8080",
    )
    .action(
      action(async (options: { url: string; json?: boolean }) => {
        const answer = await getAdminJson<AnomaliesAnswer>(options.url, ANOMALIES_PATH);
        if (options.json) return printJson(answer);
        if (answer.anomalies.length === 0) return printLines([`${answer.service}: no active anomalies`]);
        const rows = answer.anomalies.map((a) => [a.kind, a.key, a.since, round(a.value), round(a.baseline), round(a.threshold)]);
        printLines(formatTable(['KIND', 'WHERE', 'SINCE', 'VALUE', 'BASELINE', 'THRESHOLD'], rows));
      }),
    );
}

function round(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(3);
}
