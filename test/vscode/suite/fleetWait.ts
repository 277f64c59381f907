/** Waiting on the extension's fleet model from VS Code-host tests: on its change events, never by polling. */
import type { KplaneApi } from '@kplane/extension';
import type { ClusterView } from '@kplane/plane';

/** Resolves with the cluster's view once `test` holds, checking on every model change. */
export function until(api: KplaneApi, id: string, test: (v: ClusterView) => boolean, timeoutMs: number, what: string): Promise<ClusterView> {
  return new Promise((resolve, reject) => {
    const check = () => {
      const v = api.fleet.model.get(id);
      if (!v || !test(v)) return;
      done();
      resolve(v);
    };
    const timer = setTimeout(() => {
      done();
      const v = api.fleet.model.get(id);
      reject(new Error(`${id}: ${what} did not happen within ${timeoutMs / 1000}s; it is ${v?.state} (${v?.reason})`));
    }, timeoutMs);
    const unsubscribe = api.fleet.model.onChange((ids) => {
      if (ids.includes(id)) check();
    });
    function done() {
      clearTimeout(timer);
      unsubscribe();
    }
    check();
  });
}
