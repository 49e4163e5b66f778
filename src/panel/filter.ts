import { isUnreadable, IUnreadableRow } from '../protocol';

/**
 * Rows whose fields contain the filter text (case-insensitive); an unreadable row matches by its key or
 * alias where it has them, and shows whenever the filter is empty.
 */
export function filterRows<T extends object>(
  rows: (T | IUnreadableRow)[],
  filter: string,
  fields: (row: T) => (string | null)[]
): (T | IUnreadableRow)[] {
  const f = filter.trim().toLowerCase();
  if (!f) {
    return rows;
  }
  return rows.filter(r =>
    (isUnreadable(r) ? [r.key, r.alias] : fields(r)).some(
      v => v !== null && v.toLowerCase().includes(f)
    )
  );
}
