/**
 * `flotilla traces [TRACE_ID | last]`: the latest requests the dev system served,
 * from `flotilla dev`'s local trace collector. Without an id, one line per
 * trace, newest first; with one, that trace as a waterfall: every span of
 * every process, indented under its parent, with a bar for its time.
 */
import type { Command } from 'commander';
import { NotFoundError, UnavailableError } from '@flotilla/kit';
import { DEFAULT_TRACES_PORT, TRACES_PORT_VARIABLE } from '../dev/trace-collector.ts';
import type { TraceSummary, Waterfall } from '../dev/trace-views.ts';
import { action, UsageError } from '../exit-codes.ts';
import { formatTable, printJson, printLines } from '../output.ts';
import { waterfallLines } from './waterfall.ts';

interface TracesOptions {
  url?: string;
  limit: string;
  json?: boolean;
}

export function registerTraceCommands(program: Command): void {
  program
    .command('traces')
    .description('Show the latest requests of the dev system as traces (from the collector flotilla dev runs)')
    .argument('[trace-id]', 'one trace, as a waterfall of its spans; "last" for the newest')
    .option('--url <url>', `the collector (default: http://127.0.0.1:$${TRACES_PORT_VARIABLE} or ${DEFAULT_TRACES_PORT})`)
    .option('--limit <n>', 'how many traces to list', '20')
    .option('--json', 'print machine-readable JSON')
    .action(
      action(async (traceId: string | undefined, options: TracesOptions) => {
        const base = options.url ?? `http://127.0.0.1:${process.env[TRACES_PORT_VARIABLE] || DEFAULT_TRACES_PORT}`;
        if (traceId !== undefined) {
          if (traceId !== 'last' && !/^[0-9a-f]{32}$/.test(traceId))
            throw new UsageError(`a trace id is 32 lower-case hexadecimal digits (or "last"), not ${JSON.stringify(traceId)}`);
          const id = traceId === 'last' ? (await getJson<{ traces: TraceSummary[] }>(base, '/traces')).traces[0]?.traceId : traceId;
          if (id === undefined) throw new NotFoundError('no traces yet: send a request to the system, then ask again');
          const trace = await getJson<Waterfall>(base, `/traces/${id}`);
          return options.json ? printJson(trace) : printLines(waterfallLines(trace, process.stdout.columns ?? 100));
        }
        const limit = Number(options.limit);
        if (!Number.isInteger(limit) || limit < 1)
          throw new UsageError(`--limit must be a positive integer, not ${JSON.stringify(options.limit)}`);
        const { traces } = await getJson<{ traces: TraceSummary[] }>(base, '/traces');
        const shown = traces.slice(0, limit);
        if (options.json) return printJson({ traces: shown });
        if (shown.length === 0) return printLines(['no traces yet: send a request to the system, then ask again']);
        printLines(
          formatTable(
            ['TRACE ID', 'STARTED', 'DURATION', 'SPANS', 'SERVICES', 'ROOT'],
            shown.map((t) => [
              t.traceId,
              clock(t.startMs),
              `${t.durationMs.toFixed(1)} ms`,
              String(t.spans),
              t.services.join(','),
              `${t.root}${t.error ? '  (error)' : ''}`,
            ]),
          ),
        );
      }),
    );
}

async function getJson<T>(base: string, path: string): Promise<T> {
  const url = new URL(path, base).href;
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(5_000) });
  } catch (error) {
    throw new UnavailableError(`no trace collector at ${base} (${(error as Error).message}): is flotilla dev running?`, { cause: error });
  }
  const body = (await response.json()) as T & { error?: string };
  if (response.status === 404) throw new NotFoundError(body.error ?? `${url} answered 404`);
  if (!response.ok) throw new UnavailableError(`${url} answered ${response.status}`);
  return body;
}

function clock(epochMs: number): string {
  return new Date(epochMs).toISOString().slice(11, 23);
}
