/**
 * Serves Show Drift's and Diff Profile with Cluster's two sides as read-only documents; nothing
 * touches disk. Bounded by bytes (the oldest go first) and forgotten when VS Code closes the
 * document (extension.ts), so a long session does not keep every diff it ever showed.
 */
import type * as vscode from 'vscode';
import { ByteBoundedTexts } from './byteBounded.js';

export const DRIFT_SCHEME = 'kplane-drift';

/** Enough for the two sides of several diffs of the largest profile an API server stores (1.5 MiB). */
export const DRIFT_MAX_BYTES = 32 * 1024 * 1024;

export class DriftContentProvider implements vscode.TextDocumentContentProvider {
  private readonly contents: ByteBoundedTexts;

  constructor(maxBytes = DRIFT_MAX_BYTES) {
    this.contents = new ByteBoundedTexts(maxBytes);
  }

  set(uri: { toString(): string }, text: string): void {
    this.contents.set(uri.toString(), text);
  }

  forget(uri: { toString(): string }): void {
    this.contents.delete(uri.toString());
  }

  provideTextDocumentContent(uri: { toString(): string }): string {
    return this.contents.get(uri.toString()) ?? '# no longer available: run Show Drift again\n';
  }

  /** What it holds, for tests. */
  get bytes(): number {
    return this.contents.bytes;
  }
}
