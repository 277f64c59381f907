// The pure language service is the package's API; the LSP server (./server.ts) is bundled on its own.
export * from './service/languageService.js';
