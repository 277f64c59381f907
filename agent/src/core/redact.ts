/**
 * Sensitive values must never reach status, events or logs. Anything built from API server
 * answers (an error may echo the object it rejected) goes through here first.
 */
export const MASK = '••••••';

export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  // Longest first, so a secret that contains another is masked whole.
  for (const secret of [...secrets].sort((a, b) => b.length - a.length)) {
    if (secret.length >= 3) out = out.split(secret).join(MASK);
  }
  return out;
}
