/**
 * The dashboard panel's HTML shell: a strict CSP (scripts only with this load's nonce; workers
 * only from blob: URLs; no network but the extension's own files), the bundled script and
 * stylesheet from dist/media/, and the worker URLs as data attributes. Pure, so it is unit-tested.
 */
import { randomBytes } from 'node:crypto';
import { escapeHtml } from '@kplane/media';

export interface DashboardAssets {
  /** webview.cspSource: the origin the webview serves local resources from. */
  cspSource: string;
  script: string;
  style: string;
  editorWorker: string;
  yamlWorker: string;
}

export function dashboardHtml(assets: DashboardAssets, nonce: string): string {
  const csp = [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    // Monaco sets inline styles and adds <style> elements at run time, which no nonce can cover.
    `style-src ${assets.cspSource} 'unsafe-inline'`,
    `font-src ${assets.cspSource}`,
    `img-src ${assets.cspSource} data:`,
    // The workers' scripts are fetched from the extension and started from blob: URLs.
    `connect-src ${assets.cspSource}`,
    'worker-src blob:',
  ].join('; ');
  const a = (s: string) => escapeHtml(s);
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${a(assets.style)}">
<title>kplane fleet</title>
</head>
<body data-editor-worker="${a(assets.editorWorker)}" data-yaml-worker="${a(assets.yamlWorker)}">
<main id="app"></main>
<script nonce="${a(nonce)}" src="${a(assets.script)}"></script>
</body>
</html>`;
}

/** A fresh, unguessable nonce per page load (CSP nonces must not be predictable). */
export function makeNonce(): string {
  return randomBytes(18).toString('base64url');
}
