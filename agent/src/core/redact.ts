/**
 * Sensitive values must never reach status, events or logs. Anything built from API server
 * answers (an error may echo the object it rejected) goes through here first. This is the second
 * line of defence (profile/src/secrets.ts): raw values and their JSON-escaped and Go-quoted forms.
 */
import { MASK, redactText } from '@kplane/profile';

export { MASK };

export function redact(text: string, secrets: readonly string[]): string {
  return secrets.length ? redactText(text, secrets) : text;
}
