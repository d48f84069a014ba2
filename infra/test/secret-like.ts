// What a secret looks like in plain configuration (Worker vars, container and function
// environments), for the tests that keep secrets out of it: a secret belongs in `wrangler secret
// put`, Secrets Manager or SSM, and AWS credentials come from roles.

/** Names that say "secret". */
export const SECRET_NAME = /KEY|SECRET|TOKEN|PASSWORD|PASSWD|CREDENTIAL|PRIVATE/i;

/** Shannon entropy in bits per character. */
function entropy(text: string): number {
  const counts = new Map<string, number>();
  for (const c of text) counts.set(c, (counts.get(c) ?? 0) + 1);
  let bits = 0;
  for (const n of counts.values()) bits -= (n / text.length) * Math.log2(n / text.length);
  return bits;
}

/** Why `name=value` looks like a secret, or undefined. `value` undefined: check the name only. */
export function secretLike(name: string, value?: string): string | undefined {
  if (SECRET_NAME.test(name)) return `its name matches ${SECRET_NAME}`;
  if (value === undefined) return undefined;
  if (/\b(AKIA|ASIA)[0-9A-Z]{16}\b/.test(value)) return 'its value looks like an AWS access key id';
  if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(value)) return 'its value holds a private key';
  if (/:\/\/[^/\s:@]+:[^/\s@]+@/.test(value)) return 'its value is a URL with a password in it';
  for (const token of value.match(/[A-Za-z0-9+/=_-]{24,}/g) ?? []) {
    if (/^[0-9a-f]{32,}$/i.test(token)) return `its value holds a long hex string (${token.slice(0, 6)}...)`;
    const classes = [/[a-z]/, /[A-Z]/, /[0-9]/].filter((re) => re.test(token)).length;
    if (classes === 3 && entropy(token) >= 4) return `its value holds a long random-looking string (${token.slice(0, 6)}...)`;
  }
  return undefined;
}
