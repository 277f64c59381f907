/**
 * The Profiles view's parser, in a worker thread (./profileParser.ts starts it): a workspace
 * file's bytes in, its ClusterProfiles out, so that a large or hostile file costs the worker, not
 * the extension host's main thread. Bundled as dist/profileScanWorker.js (scripts/bundle.mjs).
 */
import { parentPort } from 'node:worker_threads';
import { profilesInText } from './profileFiles.js';

export interface ScanRequest {
  id: number;
  bytes: Uint8Array;
}

export interface ScanReply {
  id: number;
  profiles: ReturnType<typeof profilesInText>;
  error?: string;
}

parentPort?.on('message', ({ id, bytes }: ScanRequest) => {
  let reply: ScanReply;
  try {
    reply = { id, profiles: profilesInText(new TextDecoder().decode(bytes)) };
  } catch (err) {
    reply = { id, profiles: [], error: (err as Error).message ?? String(err) };
  }
  parentPort!.postMessage(reply);
});
