/** The Fleet view's nodes: plain data with a `kind`; the provider turns them into TreeItems. */
import type { DriftRecord, LayerStatus } from '@kplane/profile';

export type FleetNode =
  | { kind: 'group'; key: string; value: string; label: string }
  | { kind: 'cluster'; id: string }
  | { kind: 'profile'; cluster: string; key: string; name: string; namespace: string }
  | { kind: 'layer'; cluster: string; profileKey: string; layer: LayerStatus }
  | { kind: 'drift'; cluster: string; profileKey: string; record: DriftRecord }
  | { kind: 'failure'; cluster: string; profileKey: string; layer: string; message: string }
  | { kind: 'message'; text: string; detail?: string; command?: string };
