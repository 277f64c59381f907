/**
 * The one error type of kplane's Kubernetes access layer, thrown by the request client
 * (KubeClient: refusals, deadlines, aborts, unreachable servers, watch errors) and the informer.
 */
export class KubeError extends Error {
  constructor(
    message: string,
    /** HTTP status, or undefined when the server never answered (unreachable, timeout). */
    readonly status?: number,
    /** The Status object's reason (NotFound, Conflict, Expired, …), when the server gave one. */
    readonly reason?: string,
  ) {
    super(message);
    this.name = 'KubeError';
  }

  /** The server could not be reached or did not answer in time. */
  get unreachable(): boolean {
    return this.status === undefined;
  }
}

/** True for a KubeError with this HTTP status. */
export function hasStatus(err: unknown, status: number): err is KubeError {
  return err instanceof KubeError && err.status === status;
}

/**
 * One event of a watch, as KubeClient.watch delivers it. The stream's ERROR events never get
 * there: they end the watch as a KubeError with the event's status (410 when the
 * resourceVersion expired), so each watcher handles them where it handles every other failure.
 */
export interface WatchEvent<T = any> {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK';
  object: T;
}

/** One line of a watch stream as the API server sends it: an event, or an ERROR with a Status. */
export type WatchLine<T = any> = WatchEvent<T> | { type: 'ERROR'; object: { code?: number; message?: string; reason?: string } };
