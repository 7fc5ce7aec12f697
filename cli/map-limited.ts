/**
 * `items.map(work)` with at most `limit` pieces of work running at once, results in input order.
 * The first failure rejects (work already started runs to its end). Shared by `migrate` (cloud
 * calls) and `bench` (connect storms paced alike for both kinds).
 */
export async function mapLimited<T, R>(items: readonly T[], limit: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]!, index);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}
