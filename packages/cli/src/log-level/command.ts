/**
 * `flotilla log-level [service] [level]`: the log level of every running
 * instance, read or set through the gateway (`/admin/log-levels`), which
 * asks each instance it finds in discovery, itself included. Set at once,
 * without a restart; a later `log.level` change in the config centre sets
 * it again.
 */
import { Argument, type Command } from 'commander';
import { LOG_LEVELS } from '@flotilla/http';
import { NotFoundError, UnavailableError } from '@flotilla/kit';
import { sendAdminJson } from '../admin-json.ts';
import { action } from '../exit-codes.ts';
import { GATEWAY_URL_HELP, gatewayUrl } from '../gateway-url.ts';
import { formatTable, printJson, printLines } from '../output.ts';

interface InstanceLevel {
  id: string;
  address: string;
  level: string | null;
  error?: string;
}

interface LevelsAnswer {
  services: Array<{ service: string; instances: InstanceLevel[] }>;
}

interface SetAnswer {
  service: string;
  level: string;
  instances: InstanceLevel[];
}

export function registerLogLevelCommand(program: Command): void {
  program
    .command('log-level')
    .description("Show the log level of every running instance, or set a service's on all its instances at once (through the gateway)")
    .argument('[service]', 'only this service; with a level, the service to change ("gateway" for the gateway)')
    .addArgument(new Argument('[level]', 'the new level').choices(LOG_LEVELS))
    .option('--url <url>', GATEWAY_URL_HELP)
    .option('--json', 'print machine-readable JSON')
    .addHelpText(
      'after',
      [
        '',
        'Needs an admin credential for the gateway: $FLOTILLA_API_KEY or $FLOTILLA_TOKEN.',
        'Exit codes: 0 ok, 1 usage or no credential, 2 no such service, 5 the gateway or an instance could not be reached.',
        'Examples:',
        '  FLOTILLA_API_KEY=flk_dev_admin_key_for_local_use_only flotilla log-level',
        '  flotilla log-level users debug',
        '  flotilla log-level gateway info --url http://127.0.0.1:8080 --json',
      ].join('\n'),
    )
    .action(
      action(async (service: string | undefined, level: string | undefined, options: { url?: string; json?: boolean }) => {
        const gateway = gatewayUrl(options.url);
        if (service !== undefined && level !== undefined) return setLevel(gateway, service, level, options.json === true);
        const answer = await sendAdminJson<LevelsAnswer>('GET', gateway, '/admin/log-levels');
        const services = service === undefined ? answer.services : answer.services.filter((s) => s.service === service);
        if (service !== undefined && services.length === 0) throw new NotFoundError(`no instance of ${service} is known to the gateway`);
        if (options.json) return printJson({ services });
        printLines(
          formatTable(
            ['SERVICE', 'INSTANCE', 'ADDRESS', 'LEVEL'],
            services.flatMap((s) => s.instances.map((i) => row(s.service, i))),
          ),
        );
      }),
    );
}

async function setLevel(gateway: string, service: string, level: string, json: boolean): Promise<void> {
  const answer = await sendAdminJson<SetAnswer>('PUT', gateway, `/admin/log-levels/${encodeURIComponent(service)}`, { level });
  if (json) printJson(answer);
  else
    printLines(
      formatTable(
        ['SERVICE', 'INSTANCE', 'ADDRESS', 'LEVEL'],
        answer.instances.map((i) => row(answer.service, i)),
      ),
    );
  const failed = answer.instances.filter((i) => i.level !== level);
  if (failed.length > 0)
    throw new UnavailableError(`${failed.length} of ${answer.instances.length} instance(s) of ${service} did not change to ${level}`);
}

function row(service: string, instance: InstanceLevel): string[] {
  return [service, instance.id, instance.address, instance.level ?? `- (${instance.error ?? 'no answer'})`];
}
