/**
 * Processes from /proc, for the build-ahead figures: the processes under a kernel and the CPU time they used.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';

/** /proc/<pid>/stat fields after "pid (comm)": [0] state, [1] ppid, ..., [11..14] utime stime cutime cstime. */
function statFields(pid: number | string): string[] | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // comm may contain spaces and parentheses: the fields start after the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

/** Every process (pid, parent pid, command line). */
function processTable(): { pid: number; ppid: number; cmd: string }[] {
  const rows = [];
  for (const name of fs.readdirSync('/proc')) {
    const fields = /^\d+$/.test(name) ? statFields(name) : null;
    try {
      const cmd = fs
        .readFileSync(`/proc/${name}/cmdline`, 'utf8')
        .replace(/\0/g, ' ');
      if (fields) {
        rows.push({ pid: Number(name), ppid: Number(fields[1]), cmd });
      }
    } catch {
      // the process ended while we looked
    }
  }
  return rows;
}

/** PIDs of every descendant of `root`. */
function descendants(root: number): number[] {
  const table = processTable();
  const found: number[] = [];
  let frontier = [root];
  while (frontier.length) {
    const next = table.filter(p => frontier.includes(p.ppid)).map(p => p.pid);
    found.push(...next);
    frontier = next;
  }
  return found;
}

/** The first process whose command line contains every one of `texts`. */
export function findProcess(...texts: string[]): number | null {
  return (
    processTable().find(p => texts.every(t => p.cmd.includes(t)))?.pid ?? null
  );
}

const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK']).toString()) || 100;

/** CPU seconds of a process, with its waited-for children's (a compiler run counts once it ended). */
function cpuSeconds(pid: number): number | null {
  const f = statFields(pid);
  if (!f) {
    return null;
  }
  return (
    (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) / CLK_TCK
  );
}

/** CPU seconds used by a process and everything under it (each process counted once). */
export function treeCpuSeconds(pid: number): number | null {
  const own = cpuSeconds(pid);
  if (own === null) {
    return null;
  }
  return descendants(pid).reduce((sum, p) => sum + (cpuSeconds(p) ?? 0), own);
}
