import { Writable } from 'node:stream';

export type LogLine = Record<string, unknown>;

export interface CapturedLogs {
  /** The destination to give the logger (`createLogger({ destination })`, a service's `logDestination`, `pino(options, stream)`). */
  stream: Writable;
  /** Every line written so far, parsed. */
  lines: LogLine[];
  /** Everything written so far, as written. */
  text(): string;
  /** The lines whose ECS `event.action` is `action`. */
  withAction(action: string): LogLine[];
}

/** A pino destination that keeps every JSON line it is given, parsed, for assertions. */
export function captureLogs(): CapturedLogs {
  const lines: LogLine[] = [];
  let raw = '';
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      const text = chunk.toString('utf8');
      raw += text;
      for (const line of text.split('\n')) if (line.trim() !== '') lines.push(JSON.parse(line) as LogLine);
      callback();
    },
  });
  return {
    stream,
    lines,
    text: () => raw,
    withAction: (action) => lines.filter((line) => (line.event as { action?: unknown } | undefined)?.action === action),
  };
}
