import { IGcArgs } from '../protocol';

/** Raw values of the clean-up form fields. */
export interface IGcFormValues {
  keepNewest: string;
  maxAgeDays: string;
  maxMiB: string;
}

/** Parse the clean-up form into gc_cache args (empty field = no limit). */
export function readGcForm(values: IGcFormValues): Omit<IGcArgs, 'dry_run'> {
  const num = (s: string): number | null => {
    const t = s.trim();
    if (!t) {
      return null;
    }
    const n = Number(t);
    return Number.isFinite(n) && n >= 0 ? n : null;
  };
  const keep = num(values.keepNewest);
  const age = num(values.maxAgeDays);
  const mib = num(values.maxMiB);
  return {
    keep_n_newest: keep === null ? null : Math.floor(keep),
    max_age_days: age,
    max_bytes: mib === null ? null : Math.floor(mib * 1024 * 1024)
  };
}

/** Whether the form sets any limit (with none, the helper has nothing to clean up by). */
export function hasLimit(args: Omit<IGcArgs, 'dry_run'>): boolean {
  return (
    args.keep_n_newest !== null ||
    args.max_age_days !== null ||
    args.max_bytes !== null
  );
}
