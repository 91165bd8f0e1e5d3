// `cli.ts start` / `stop`: servers that outlive the CLI. start spawns a
// detached supervisor (cli.ts __supervise) that runs startServices() and
// waits for SIGTERM; the servers die with it (pdeathsig) if it is killed.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { startServices } from '../index.ts';
import { isProcessAlive } from './proc.ts';
import { readLogTail } from './logtail.ts';
import { stderrLog } from './log.ts';

const files = (stateDir: string) => ({
  env: join(stateDir, 'env.json'),
  pid: join(stateDir, 'supervisor.pid'),
  log: join(stateDir, 'supervisor.log'),
});

function supervisorPid(stateDir: string): number | undefined {
  const { pid } = files(stateDir);
  if (!existsSync(pid)) return undefined;
  const value = Number(readFileSync(pid, 'utf8').trim());
  if (!Number.isInteger(value) || value <= 0 || !isProcessAlive(value)) return undefined;
  // Guard against a recycled pid: it must still be our supervisor for this state dir.
  try {
    const cmdline = readFileSync(`/proc/${value}/cmdline`, 'utf8');
    return cmdline.includes('__supervise') && cmdline.includes(resolve(stateDir)) ? value : undefined;
  } catch {
    return undefined;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function startDetached(opts: { cliPath: string; stateDir: string; only?: string[] }): Promise<Record<string, string>> {
  const stateDir = resolve(opts.stateDir);
  const f = files(stateDir);
  mkdirSync(stateDir, { recursive: true });
  if (supervisorPid(stateDir) !== undefined) throw new Error(`test-services already running for ${stateDir}; run stop first`);
  rmSync(f.env, { force: true });
  const logFd = openSync(f.log, 'w');
  const args = [
    ...process.execArgv,
    opts.cliPath,
    '__supervise',
    '--state',
    stateDir,
    ...(opts.only ? ['--only', opts.only.join(',')] : []),
  ];
  const child = spawn(process.execPath, args, { detached: true, stdio: ['ignore', logFd, logFd], cwd: process.cwd() });
  closeSync(logFd);
  writeFileSync(f.pid, `${child.pid}\n`);
  let exited: number | null | undefined;
  child.once('exit', (code) => (exited = code));

  // Echo the supervisor's progress lines while waiting for env.json.
  let shown = 0;
  const echo = (): void => {
    const fd = openSync(f.log, 'r');
    try {
      const buffer = Buffer.alloc(65_536);
      for (;;) {
        const n = readSync(fd, buffer, 0, buffer.length, shown);
        if (n <= 0) break;
        process.stderr.write(buffer.subarray(0, n));
        shown += n;
      }
    } finally {
      closeSync(fd);
    }
  };
  const deadline = Date.now() + 30 * 60_000;
  for (;;) {
    echo();
    if (existsSync(f.env)) {
      child.unref();
      return JSON.parse(readFileSync(f.env, 'utf8')) as Record<string, string>;
    }
    if (exited !== undefined) {
      rmSync(f.pid, { force: true });
      throw new Error(`test-services supervisor exited (code ${exited}) before the servers were ready; see ${f.log}`);
    }
    if (Date.now() > deadline) {
      await stopDetached(stateDir);
      throw new Error(`test-services did not start within 30 minutes; last lines of ${f.log}:\n${readLogTail(f.log)}`);
    }
    await sleep(200);
  }
}

export async function superviseDetached(stateDir: string, only: string[] | undefined): Promise<number> {
  let stopRequested = false;
  let wake: () => void = () => {};
  const stopSignal = new Promise<void>((r) => (wake = r));
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
    process.on(signal, () => {
      stopRequested = true;
      wake();
    });
  }
  const services = await startServices({ only });
  const f = files(stateDir);
  writeFileSync(`${f.env}.tmp`, `${JSON.stringify(services.env, null, 2)}\n`);
  renameSync(`${f.env}.tmp`, f.env);
  writeFileSync(join(stateDir, 'servers-dir'), `${services.dir}\n`);
  if (!stopRequested) await stopSignal;
  stderrLog('stopping');
  await services.stop();
  rmSync(f.env, { force: true });
  rmSync(join(stateDir, 'servers-dir'), { force: true });
  stderrLog('stopped');
  return 0;
}

export async function stopDetached(stateDirArg: string): Promise<void> {
  const stateDir = resolve(stateDirArg);
  const f = files(stateDir);
  const pid = supervisorPid(stateDir);
  if (pid === undefined) {
    stderrLog(`nothing running for ${stateDir}`);
  } else {
    process.kill(pid, 'SIGTERM');
    const deadline = Date.now() + 60_000;
    while (isProcessAlive(pid) && Date.now() < deadline) await sleep(100);
    if (isProcessAlive(pid)) {
      // Its servers die with it (pdeathsig); only its temp dir may remain.
      process.kill(pid, 'SIGKILL');
      stderrLog(`supervisor ${pid} did not stop in 60s; killed it`);
    }
    stderrLog(`stopped servers of ${stateDir}`);
  }
  rmSync(f.env, { force: true });
  rmSync(f.pid, { force: true });
}
