/**
 * Versioned storage migrations for a Durable Object (as in workers-sdk's and chanfana's
 * examples): a list of steps, the n-th bringing storage from version n-1 to n. They run in the
 * constructor, synchronously (SQLite-backed storage: `sql` and the synchronous `kv`), so no call
 * is ever delivered to an object whose storage is of another version. The version is kept in
 * the object's own storage; a new object starts at 0 and runs them all.
 */

/** One step, on the object's own storage; it runs in one transaction with its version's update. */
export type Migration = (storage: DurableObjectStorage) => void;

export const SCHEMA_VERSION_KEY = "schema_version";

/** Brings the object's storage to version `migrations.length`; returns the version it found. */
export function migrate(storage: DurableObjectStorage, migrations: readonly Migration[]): number {
  const found = storage.kv.get<number>(SCHEMA_VERSION_KEY) ?? 0;
  // Written by newer code (a rollback after a migration): refused, never reinterpreted.
  if (found > migrations.length)
    throw new Error(`Durable Object storage is at version ${found}, newer than this code's ${migrations.length}`);
  migrations.slice(found).forEach((step, index) => {
    storage.transactionSync(() => {
      step(storage);
      storage.kv.put(SCHEMA_VERSION_KEY, found + index + 1);
    });
  });
  return found;
}
