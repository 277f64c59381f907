/**
 * HTML escaping for the few places where markup is built as text (the panel's HTML shell in the
 * extension host). The webview itself builds its DOM with textContent and never parses cluster
 * data as HTML. Pure.
 */
const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for use in HTML element content and in quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ENTITIES[c]);
}
