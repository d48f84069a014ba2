/**
 * Stop strings (OpenAI `stop`, HF `stop_strings`): generation ends as soon as the decoded text
 * contains one, and the returned text ends right before it. Checked after every token; decoding
 * only a window of recent tokens keeps that cheap, and a hit is confirmed on the full text.
 */

/**
 * The response text cut before the first stop string, or undefined when none has appeared.
 * Every earlier step was checked already, so only a stop string ending in the newest token can be
 * new; a window of 4 tokens per character of the longest stop (a UTF-8 character may span up to
 * 4 byte-level tokens) plus slack covers it.
 */
export function findStop(tokens: readonly number[], stop: readonly string[], decode: (ids: readonly number[]) => string): string | undefined {
  const longest = Math.max(...stop.map((s) => s.length));
  const window = tokens.length <= 4 * longest + 8 ? tokens : tokens.slice(tokens.length - (4 * longest + 8));
  const recent = decode(window);
  if (!stop.some((s) => recent.includes(s))) return undefined;
  const full = window === tokens ? recent : decode(tokens);
  let cut = -1;
  for (const s of stop) {
    const at = full.indexOf(s);
    if (at >= 0 && (cut < 0 || at < cut)) cut = at;
  }
  return cut < 0 ? undefined : full.slice(0, cut);
}
