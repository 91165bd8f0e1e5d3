/**
 * `flotilla faults [clear <id>]`: the faults configured now, with where each
 * is set, and clearing one at its source (the gateway's `/admin/faults`, the
 * console's Governance page).
 */
import type { Command } from 'commander';
import { sendAdminJson } from '../admin-json.ts';
import { action } from '../exit-codes.ts';
import { GATEWAY_URL_HELP, gatewayUrl } from '../gateway-url.ts';
import { formatTable, printJson, printLines } from '../output.ts';

interface Fault {
  id: string;
  source: string;
  document: string | null;
  clearable: boolean;
  percent: number;
}

export function registerFaultsCommand(program: Command): void {
  const faults = program
    .command('faults')
    .description('List the injected faults the gateway knows of, with where each is set')
    .option('--url <url>', GATEWAY_URL_HELP)
    .option('--json', 'print machine-readable JSON')
    .addHelpText('after', '\nNeeds an admin credential for the gateway: $FLOTILLA_API_KEY or $FLOTILLA_TOKEN.')
    .action(
      action(async (options: { url?: string; json?: boolean }) => {
        const answer = await sendAdminJson<{ faults: Fault[] }>('GET', gatewayUrl(options.url), '/admin/faults');
        if (options.json) return printJson(answer);
        if (answer.faults.length === 0) return printLines(['no faults configured']);
        const rows = answer.faults.map((f) => [f.id, `${f.percent} %`, f.source, f.document ?? '-', f.clearable ? 'yes' : 'no']);
        printLines(formatTable(['FAULT', 'SHARE', 'SOURCE', 'DOCUMENT', 'CLEARABLE'], rows));
      }),
    );
  faults
    .command('clear')
    .description('Remove a fault from the config document that sets it (a new version, under your name)')
    .argument('<id>', 'the fault, as listed: <service>:<upstream>:<kind>')
    .action(
      // --url is the parent's option, given before or after `clear`.
      action(async (id: string, _options: object, command: Command) => {
        const { url } = command.optsWithGlobals<{ url?: string }>();
        await sendAdminJson('DELETE', gatewayUrl(url), `/admin/faults/${encodeURIComponent(id)}`);
        printLines([`cleared ${id}`]);
      }),
    );
}
