/**
 * Text from a cluster (names, reasons, messages, a live spec) printed to a terminal: control
 * characters could move the cursor, rewrite earlier lines, retitle the window or hide text
 * (ESC [ …, OSC 8 links, the C1 CSI U+009B). Pure.
 */

// C0 controls but tab and newline, DEL, C1 controls; and whole ESC/CSI/OSC sequences first, so
// their parameters do not remain as text.
const SEQUENCES = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-Z\\-_]|\u009b[0-?]*[ -/]*[@-~]/g;
const CONTROLS = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/g;

/** The text with control characters and escape sequences removed; tab and newline stay. */
export function terminalSafe(text: string): string {
  return text.replace(SEQUENCES, '').replace(CONTROLS, '');
}

/** JSON for a terminal: the same data, with DEL and C1 controls (which JSON.stringify leaves raw) escaped. */
export function terminalJson(value: unknown, indent?: number): string {
  return JSON.stringify(value, null, indent).replace(/[\x7f-\x9f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
