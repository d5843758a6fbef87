/**
 * Scheduling priority for the calling thread. On Linux a thread is a task with its own nice value,
 * which setpriority(2) sets when given the thread's id (what os.setPriority passes on), and
 * /proc/thread-self names that id. Other systems have no such per-thread nice: there the thread is
 * left at the process's priority, and the reason is returned for the log.
 */
import { readlinkSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';

const LOWEST = 19;

export type ThreadPriority = { applied: true; threadId: number; nice: number } | { applied: false; reason: string };

/**
 * Lowers the calling thread's priority by `by` nice steps below the one it has (capped at 19). Relative,
 * not absolute: a process started at nice 15 must not see this thread raised above its other threads.
 */
export function lowerThisThreadPriority(by: number): ThreadPriority {
  if (process.platform !== 'linux') return { applied: false, reason: `${process.platform} has no nice value per thread` };
  try {
    // A /proc of another PID namespace would name another process's task.
    if (readlinkSync('/proc/self') !== String(process.pid)) return { applied: false, reason: '/proc is not this process\'s PID namespace' };
    // "<pid>/task/<tid>"
    const threadId = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (!Number.isInteger(threadId) || threadId <= 0) return { applied: false, reason: 'no thread id in /proc/thread-self' };
    const nice = Math.min(LOWEST, getPriority(threadId) + by);
    setPriority(threadId, nice);
    return { applied: true, threadId, nice };
  } catch (error) {
    // Lowering a priority needs no privilege: this is a /proc that is not mounted, or a sandbox.
    return { applied: false, reason: (error as Error).message };
  }
}
