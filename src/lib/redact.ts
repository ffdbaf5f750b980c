/**
 * Replaces every occurrence of a secret value (tokens, passwords, secret-bearing addresses) with
 * `*****`, as Flux masks tokens in its errors. Longest first so overlapping values mask fully.
 */
export function redact(text: string, secrets: Iterable<string>): string {
  let out = text;
  for (const secret of [...secrets].filter((s) => s.length >= 4).sort((a, b) => b.length - a.length)) {
    out = out.split(secret).join("*****");
  }
  return out;
}
