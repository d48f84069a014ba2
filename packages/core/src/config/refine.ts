/**
 * Cross-field checks that still run when OTHER fields are invalid, so a config error lists every
 * problem at once (zod skips refinements after any aborting issue by default).
 */
import type { z } from 'zod';

/** `when` for superRefine: run if the input is an object and none of `fields` has an issue yet. */
export function whenFieldsValid(fields: readonly string[]): (payload: z.core.ParsePayload) => boolean {
  return (payload) =>
    typeof payload.value === 'object' &&
    payload.value !== null &&
    !payload.issues.some((issue) => {
      const head = issue.path?.[0];
      // An unknown key (reported at the root) does not make the known fields unreliable.
      if (head === undefined) return issue.code !== 'unrecognized_keys';
      return fields.includes(String(head));
    });
}
