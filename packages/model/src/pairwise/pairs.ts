/**
 * Pairwise preference data for judge training (`pairs.jsonl`), one object a line:
 *   { "prompt", "response_a", "response_b", "label": 1 | 0 }    label 1 = a wins (true/false too)
 *   { "prompt", "response_a", "response_b", "probability": p }   soft label P(a beats b) in [0, 1]
 *   { "prompt"?, "chosen", "rejected" }                          chosen wins (label 1 unless given)
 * `chosen` / `rejected` may be official message lists ([{role:'user'}, {role:'assistant'}],
 * scripts/compute_prob.py); then the assistant text is the response and the user text the prompt.
 * Every bad line is reported with its number (STYLE 7).
 */

export interface PreferencePair {
  prompt: string;
  responseA: string;
  responseB: string;
  /** P(response A beats response B): 1 / 0 for hard labels. */
  probability: number;
}

export interface ParsedPairs {
  pairs: PreferencePair[];
  errors: { line: number; message: string }[];
}

type Message = { role?: unknown; content?: unknown };

function textOf(value: unknown, role: 'user' | 'assistant'): string | undefined {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) {
    const hit = [...(value as Message[])].reverse().find((m) => m !== null && typeof m === 'object' && m.role === role && typeof m.content === 'string');
    return hit?.content as string | undefined;
  }
  return undefined;
}

export function parsePreferencePair(value: unknown): PreferencePair | string {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return 'expected a JSON object';
  const row = value as Record<string, unknown>;
  const hasAB = 'response_a' in row || 'response_b' in row;
  const hasCR = 'chosen' in row || 'rejected' in row;
  if (hasAB === hasCR) return 'give either response_a + response_b (with label or probability) or chosen + rejected';
  const a = hasAB ? textOf(row['response_a'], 'assistant') : textOf(row['chosen'], 'assistant');
  const b = hasAB ? textOf(row['response_b'], 'assistant') : textOf(row['rejected'], 'assistant');
  const names = hasAB ? ['response_a', 'response_b'] : ['chosen', 'rejected'];
  if (a === undefined || b === undefined) return `${names.join(' and ')} must be strings or message lists with an assistant message`;
  const prompt = typeof row['prompt'] === 'string' ? row['prompt'] : (textOf(row[hasAB ? 'response_a' : 'chosen'], 'user') ?? undefined);
  if (prompt === undefined) return 'prompt must be a string (or come from the user message of chosen)';
  let probability: number;
  if ('probability' in row) {
    const p = row['probability'];
    if (typeof p !== 'number' || !(p >= 0 && p <= 1)) return `probability must be a number in [0, 1], got ${JSON.stringify(p)}`;
    probability = p;
  } else if ('label' in row) {
    const l = row['label'];
    if (l === 1 || l === true) probability = 1;
    else if (l === 0 || l === false) probability = 0;
    else return `label must be 1 (response_a wins) or 0 (response_b wins), got ${JSON.stringify(l)}`;
  } else if (hasCR) probability = 1;
  else return 'missing label (1 if response_a wins, 0 if response_b) or probability';
  return { prompt, responseA: a, responseB: b, probability };
}

export function parsePreferencePairs(text: string): ParsedPairs {
  const pairs: PreferencePair[] = [];
  const errors: { line: number; message: string }[] = [];
  text.split('\n').forEach((raw, index) => {
    const line = raw.trim();
    if (line === '') return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (e) {
      errors.push({ line: index + 1, message: `not JSON: ${(e as Error).message}` });
      return;
    }
    const parsed = parsePreferencePair(value);
    if (typeof parsed === 'string') errors.push({ line: index + 1, message: parsed });
    else pairs.push(parsed);
  });
  return { pairs, errors };
}
