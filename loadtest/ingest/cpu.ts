import { readdirSync, readFileSync } from 'node:fs';

/**
 * utime + stime of one process (or, with `tid`, one of its threads), in ms (clock ticks are 100 Hz
 * on Linux); with `reaped`, plus cutime + cstime: the CPU of its children that exited and were
 * waited for.
 */
function cpuMsOf(pid: number, tid?: number, reaped = false): number {
  try {
    const stat = readFileSync(tid === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${tid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const own = Number(fields[11]) + Number(fields[12]);
    return (reaped ? own + Number(fields[13]) + Number(fields[14]) : own) * 10;
  } catch {
    return 0; // exited meanwhile
  }
}

function parentOf(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return -1;
  }
}

/**
 * CPU ms of the postmaster and its children (backends, WAL writer, checkpointer…), those that
 * exited included (the postmaster reaps them).
 */
export function postgresCpuMs(dataDir: string): number {
  const postmaster = Number(readFileSync(`${dataDir}/postmaster.pid`, 'utf8').split('\n')[0]);
  let total = cpuMsOf(postmaster, undefined, true);
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (pid && parentOf(pid) === postmaster) total += cpuMsOf(pid);
  }
  return total;
}

/**
 * Where a phase's CPU went: the Tally process and PostgreSQL, in µs per event. On 2 cores shared
 * with the load generator this tells which side bounds throughput.
 */
export class CpuMeter {
  private tally = 0;
  private main = 0;
  private pg = 0;

  constructor(private readonly dataDir: string) {}

  start(tallyPid: number): void {
    this.tally = cpuMsOf(tallyPid);
    this.main = cpuMsOf(tallyPid, tallyPid);
    this.pg = postgresCpuMs(this.dataDir);
  }

  /** tallyUs: the whole process; mainUs: its main (HTTP) thread alone, the one that serves requests. */
  stop(tallyPid: number, events: number): { tallyUs: number; mainUs: number; pgUs: number } {
    const per = (ms: number) => (events ? (ms * 1000) / events : NaN);
    return { tallyUs: per(cpuMsOf(tallyPid) - this.tally), mainUs: per(cpuMsOf(tallyPid, tallyPid) - this.main), pgUs: per(postgresCpuMs(this.dataDir) - this.pg) };
  }
}
