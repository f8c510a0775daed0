/**
 * Whether a process of this machine with the given id is running, for a lock file that records its holder's pid: a
 * lock whose holder is gone may be taken over. A process of another user is running too (`EPERM`).
 * @internal
 */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
