/**
 * What the dashboard does with the webview's messages, apart from VS Code: every message is
 * checked by parseWebviewMessage (a malformed one is logged and dropped), values are judged by the
 * same rules the webview shows, and only values without errors are written, by server-side apply
 * to the cluster's API server. Kept free of `vscode` so it reads like the protocol it serves.
 */
import type { ClusterProfile, Variable } from '@kplane/profile';
import { parseWebviewMessage, type HostMessage, type ProfileRef, type WebviewMessage, valuesSchema, valuesToYaml, hiddenValues, judgeValues, type ProfileValidator } from '@kplane/media';
import type { ProfileValuesStore } from '@kplane/plane/cluster';
import { ByteBoundedList, textBytes } from '../byteBounded.js';

/**
 * What each way of a dashboard remembers, for tests that start waiting late: by bytes, since one
 * snapshot of 1,000 clusters is about 2 MB (the last 200 messages held 392 MB).
 */
export const DASHBOARD_HISTORY_BYTES = 8 * 1024 * 1024;

/** One way's message history: the newest messages within DASHBOARD_HISTORY_BYTES, measured as JSON. */
export function messageHistory<T>(maxBytes = DASHBOARD_HISTORY_BYTES): ByteBoundedList<T> {
  return new ByteBoundedList<T>(maxBytes, (m) => textBytes(JSON.stringify(m) ?? ''));
}

export interface ControllerDeps {
  post(message: HostMessage): void;
  store: ProfileValuesStore;
  validate: ProfileValidator;
  log: { info(message: string): void; error(message: string): void };
  /** Called after the webview said it is ready, to send it the current snapshot. */
  onReady(): void;
  /** Every valid message, after it was handled: tests and logs observe the webview through it. */
  observe?(message: WebviewMessage): void;
}

const refText = (r: ProfileRef) => `${r.namespace}/${r.name} on ${r.context}`;
const key = (r: ProfileRef) => `${r.context}\u0000${r.namespace}\u0000${r.name}`;

export class DashboardController {
  /** The last profile read per open editor, so checks while typing need no API call. */
  private readonly profiles = new Map<string, ClusterProfile>();

  constructor(private readonly deps: ControllerDeps) {}

  async receive(raw: unknown): Promise<void> {
    const parsed = parseWebviewMessage(raw);
    if (!parsed.ok) {
      this.deps.log.error(`dashboard: ignored a malformed message from the webview: ${parsed.error}`);
      return;
    }
    const message = parsed.value;
    try {
      await this.handle(message);
    } catch (err) {
      // A bug of ours must not break the panel; it is logged with what was being done.
      this.deps.log.error(`dashboard: handling "${message.type}" failed: ${err instanceof Error ? err.message : String(err)}`);
    }
    this.deps.observe?.(message);
  }

  private async handle(message: WebviewMessage): Promise<void> {
    switch (message.type) {
      case 'ready':
        this.deps.onReady();
        return;
      case 'rendered':
        return;
      case 'log':
        if (message.level === 'error') this.deps.log.error(`dashboard webview: ${message.message}`);
        else this.deps.log.info(`dashboard webview: ${message.message}`);
        return;
      case 'openValues':
        return this.openValues(message.ref);
      case 'validateValues': {
        const profile = this.profiles.get(key(message.ref)) ?? (await this.read(message.ref));
        if (!profile) return;
        const verdict = judgeValues(message.yaml, profile, this.deps.validate);
        this.deps.post({ type: 'findings', requestId: message.requestId, ref: message.ref, findings: verdict.findings });
        return;
      }
      case 'applyValues':
        return this.applyValues(message.requestId, message.ref, message.yaml);
    }
  }

  private async read(ref: ProfileRef): Promise<ClusterProfile | undefined> {
    try {
      const profile = await this.deps.store.read(ref);
      this.profiles.set(key(ref), profile);
      return profile;
    } catch (err) {
      const message = `Could not read profile ${refText(ref)}: ${errorText(err)}. Check that the cluster is reachable and the profile exists, then reopen the editor.`;
      this.deps.log.error(`dashboard: ${message}`);
      this.deps.post({ type: 'valuesError', ref, message });
      return undefined;
    }
  }

  private async openValues(ref: ProfileRef): Promise<void> {
    const profile = await this.read(ref);
    if (!profile) return;
    const variables = profile.spec?.variables ?? [];
    const hidden = Object.keys(hiddenValues(profile));
    const shown = Object.fromEntries(Object.entries(profile.spec?.values ?? {}).filter(([name]) => !hidden.includes(name)));
    const note = hidden.length ? `# Sensitive values are kept as they are and not shown: ${hidden.join(', ')}\n` : '';
    this.deps.post({ type: 'values', ref, yaml: note + valuesToYaml(shown), variables: variables.map(redactDefault), schema: valuesSchema(variables), kept: hidden });
  }

  private async applyValues(requestId: number, ref: ProfileRef, yaml: string): Promise<void> {
    // Judge against a fresh read: the profile (its variables) may have changed since the editor opened.
    const profile = await this.read(ref);
    if (!profile) {
      this.deps.post({ type: 'applyResult', requestId, ref, ok: false, message: `Nothing applied: profile ${refText(ref)} could not be read.`, findings: [] });
      return;
    }
    const verdict = judgeValues(yaml, profile, this.deps.validate);
    if (!verdict.values) {
      const errors = verdict.findings.filter((f) => f.severity === 'error').length;
      this.deps.log.info(`dashboard: values for ${refText(ref)} rejected with ${errors} error(s); nothing applied`);
      this.deps.post({ type: 'applyResult', requestId, ref, ok: false, message: `Nothing applied: fix the ${errors} error(s) shown, then save again.`, findings: verdict.findings });
      return;
    }
    const values = verdict.values;
    try {
      const written = await this.deps.store.applyValues(profile, ref, values);
      this.profiles.set(key(ref), written);
      this.deps.log.info(`dashboard: applied values to ${refText(ref)} (generation ${written.metadata.generation ?? '?'})`);
      this.deps.post({ type: 'applyResult', requestId, ref, ok: true, message: `Applied to ${ref.context}. The agent reports progress on the cluster page.`, findings: verdict.findings });
    } catch (err) {
      const conflict = (err as { status?: number }).status === 409;
      const message = conflict
        ? `Nothing applied: profile ${refText(ref)} changed on the cluster since it was read. Reopen the values editor to edit the current version.`
        : `Applying values to ${refText(ref)} failed: ${errorText(err)}.`;
      this.deps.log.error(`dashboard: ${message}`);
      this.deps.post({ type: 'applyResult', requestId, ref, ok: false, message, findings: verdict.findings });
    }
  }
}

/** Sensitive values stay in the host: never shown, logged or sent to the webview. */
function redactDefault(v: Variable): Variable {
  if (!v.sensitive || v.default === undefined) return v;
  const { default: _hidden, ...rest } = v;
  return rest;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
