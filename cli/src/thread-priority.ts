/**
 * Scheduling priority for the calling thread. On Linux a thread is a task with its own nice value,
 * which setpriority(2) sets when given the thread's id (what os.setPriority passes on), and
 * /proc/thread-self names that id. Other systems have no such per-thread nice: there the thread is
 * left at the process's priority, and the reason is returned for the log.
 */
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';

export type ThreadPriority = { applied: true; threadId: number } | { applied: false; reason: string };

/** Sets the calling thread's nice value (0 = the default, 19 = the lowest priority). */
export function setThisThreadNice(nice: number): ThreadPriority {
  if (nice === 0) return { applied: false, reason: 'nice 0 asked: the thread keeps the process\'s priority' };
  if (process.platform !== 'linux') return { applied: false, reason: `${process.platform} has no nice value per thread` };
  try {
    // "<pid>/task/<tid>"
    const threadId = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (!Number.isInteger(threadId) || threadId <= 0) return { applied: false, reason: 'no thread id in /proc/thread-self' };
    setPriority(threadId, nice);
    return { applied: true, threadId };
  } catch (error) {
    // Lowering a priority needs no privilege; this is a /proc that is not mounted, or a sandbox.
    return { applied: false, reason: (error as Error).message };
  }
}
