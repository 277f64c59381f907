// Types for the one untyped monaco-editor module valuesEditor.ts uses.
declare module 'monaco-editor/internal/common/workers.js' {
  export function createWebWorker(opts: { moduleId?: string; label?: string; createData?: unknown; host?: unknown; keepIdleModels?: boolean; createWorker?: () => Worker }): unknown;
}
