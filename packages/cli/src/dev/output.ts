/**
 * What `flotilla dev` prints. The processes always write ECS JSON; here each
 * line becomes, for a person (`pretty`), one prefixed line like
 * `users    | 10:04:01.123 INFO  GET /users 200 1.2 ms`, with the start-up
 * chatter condensed until the system is up; or (`json`) passes through
 * untouched on stdout, everything else going to stderr.
 */
import type { Writable } from 'node:stream';
import { formatEvent, formatLogLine, isStartupChatter, type LogEvent, painter, parseLogLine } from './log-format.ts';
import { DEV_USER_AGENT } from './own-requests.ts';

export type OutputMode = 'pretty' | 'json';

export interface DevOutputOptions {
  mode: OutputMode;
  /** Every event with every field, start-up included. */
  verbose: boolean;
  color: boolean;
  stdout: Writable;
  stderr: Writable;
}

export type SupervisorLevel = 'info' | 'warn' | 'error';

/** Per process, like `docker compose`; no yellow or red, which mark warnings and errors. */
const PREFIX_COLORS = ['36', '32', '35', '34', '96', '92', '95', '94'];
const SUPERVISOR = 'flotilla';

export class DevOutput {
  private readonly options: DevOutputOptions;
  private readonly prefixes = new Map<string, string>();
  private readonly paint: (codes: string, text: string) => string;
  /** Since when every event is shown; before, start-up chatter is condensed away. */
  private runningSince: Date | undefined;
  private closed = false;

  constructor(names: string[], options: DevOutputOptions) {
    this.options = options;
    this.paint = painter(options.color);
    const width = Math.max(SUPERVISOR.length, ...names.map((n) => n.length));
    names.forEach((name, i) => {
      this.prefixes.set(name, `${this.paint(PREFIX_COLORS[i % PREFIX_COLORS.length] as string, `${name.padEnd(width)} |`)} `);
    });
    this.prefixes.set(SUPERVISOR, `${this.paint('1', `${SUPERVISOR.padEnd(width)} |`)} `);
  }

  /** A line a process wrote on stdout (its logs). */
  stdoutLine(name: string, line: string): void {
    if (this.options.mode === 'json') {
      this.write(this.options.stdout, [line]);
      return;
    }
    const event = parseLogLine(line);
    if (event !== undefined && !this.options.verbose && this.condensed(event)) return;
    const lines = event === undefined ? [line] : formatEvent(event, this.options);
    this.write(this.options.stdout, this.prefixed(name, lines));
  }

  /** A line a process wrote on stderr: never condensed. */
  stderrLine(name: string, line: string): void {
    if (this.options.mode === 'json') this.write(this.options.stderr, [`[${name}] ${line}`]);
    else this.write(this.options.stdout, this.prefixed(name, formatLogLine(line, this.options)));
  }

  /** The supervisor's own messages. */
  log(message: string, level: SupervisorLevel = 'info'): void {
    if (this.options.mode === 'json') {
      this.write(this.options.stderr, [`[${SUPERVISOR}] ${message}`]);
      return;
    }
    const lines = formatEvent({ level, time: new Date(), message, fields: new Map() }, this.options);
    this.write(this.options.stdout, this.prefixed(SUPERVISOR, lines));
  }

  /** Lines printed as they are (the banner): on stdout for a person, on stderr beside JSON. */
  plain(lines: string[]): void {
    this.write(this.options.mode === 'json' ? this.options.stderr : this.options.stdout, lines);
  }

  /** Start-up is over (or being abandoned): every event logged from now on. */
  running(since: Date = new Date()): void {
    this.runningSince ??= since;
  }

  /** Nobody is reading any more (the terminal closed): drop what follows. */
  close(): void {
    this.closed = true;
  }

  /**
   * Start-up chatter (by the event's own time: a line still in a pipe when
   * start-up ended belongs to start-up), and the access lines of this
   * supervisor's own requests.
   */
  private condensed(event: LogEvent): boolean {
    if (event.fields.get('user_agent.original') === DEV_USER_AGENT && isStartupChatter(event)) return true;
    if (!isStartupChatter(event)) return false;
    return this.runningSince === undefined || (event.time !== undefined && event.time < this.runningSince);
  }

  private prefixed(name: string, lines: string[]): string[] {
    const prefix = this.prefixes.get(name) ?? `${name} | `;
    return lines.map((line) => `${prefix}${line}`);
  }

  private write(stream: Writable, lines: string[]): void {
    if (this.closed || lines.length === 0) return;
    stream.write(`${lines.join('\n')}\n`);
  }
}
