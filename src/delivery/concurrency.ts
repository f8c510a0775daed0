import { ValidationError } from '../flux/core/errors.js';

/**
 * Runs `task(0..count-1)` with at most `limit` running at once, started in index order. Once a task throws, no new
 * task starts, and the promise rejects with that error.
 */
export async function runBounded(count: number, limit: number, task: (index: number) => Promise<void>): Promise<void> {
  if (!Number.isInteger(limit) || limit < 1) throw new ValidationError(`concurrency ${limit} is not a positive whole number; use e.g. 4`);
  let next = 0;
  let failed = false;
  const worker = async (): Promise<void> => {
    while (!failed && next < count) {
      const i = next++;
      try {
        await task(i);
      } catch (e) {
        failed = true;
        throw e;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, count) }, worker));
}
