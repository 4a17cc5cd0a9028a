import { readlinkSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';

/**
 * Lowers the calling thread's scheduling priority by `steps` nice steps (to at most 19), and
 * only its own: on Linux a thread is a task of its own, whose id /proc/thread-self names, and
 * setpriority() takes it. Elsewhere, or where it is not allowed, nothing changes. Gives the
 * thread's new niceness, or null when unchanged.
 */
export function lowerThreadPriority(steps: number): number | null {
  try {
    // "PID/task/TID"; a /proc of another PID namespace would name another task: left alone.
    const [pid, task, id] = readlinkSync('/proc/thread-self').split('/');
    const tid = Number(id);
    if (Number(pid) !== process.pid || task !== 'task' || !Number.isInteger(tid) || tid <= 0) return null;
    const niceness = Math.min(19, getPriority(tid) + steps);
    setPriority(tid, niceness);
    return niceness;
  } catch {
    return null;
  }
}
