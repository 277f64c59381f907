/**
 * Which clusters the editor checks a profile file against live: read from the text (profiles'
 * names and namespaces, apiVersions), the clusters running one of its profiles, else every
 * cluster it could be applied to; never hub members (their API is not reachable from here).
 */
import { strict as assert } from 'node:assert';
import { profileFileFacts, profileTargets, type ClusterView } from '@kplane/plane';

const TEXT = `# a comment
apiVersion: kplane.dev/v1alpha1
kind: ClusterProfile
metadata:
  labels:
    name: not-this
  name: web   # the profile
  namespace: teams
spec:
  version: 1.0.0
  layers:
    - name: apps
      manifests:
        - apiVersion: apps/v1
          kind: Deployment
        - apiVersion: "example.com/v1"
          kind: Widget
---
apiVersion: kplane.dev/v1alpha1
kind: ClusterProfile
metadata:
  name: "base"
spec:
  version: 1.0.0
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: not-a-profile
`;

const view = (id: string, profiles: { name: string; namespace: string }[], hub?: string): ClusterView => ({ id, profiles, hub, labels: {} }) as unknown as ClusterView;

describe('profile targets for live schemas', () => {
  it('reads the profiles (top-level metadata only) and every apiVersion of the file', () => {
    const facts = profileFileFacts(TEXT);
    assert.deepEqual(facts.profiles, [{ name: 'web', namespace: 'teams' }, { name: 'base', namespace: undefined }]);
    assert.deepEqual(facts.groupVersions, ['apps/v1', 'example.com/v1', 'kplane.dev/v1alpha1', 'v1']);
  });

  it('the clusters that run one of the profiles (the fleet namespace when none is written)', () => {
    const facts = profileFileFacts(TEXT);
    const clusters = [
      view('a', [{ name: 'web', namespace: 'teams' }]),
      view('b', [{ name: 'web', namespace: 'kplane-system' }]),
      view('c', [{ name: 'base', namespace: 'kplane-system' }]),
      view('d', []),
      view('hub/m1', [{ name: 'web', namespace: 'teams' }], 'hub'),
    ];
    assert.deepEqual(profileTargets(facts, clusters, 'kplane-system'), { ids: ['a', 'c'], running: true });
  });

  it('when none runs them: every cluster they could be applied to, hub members left out; a file without profiles: none', () => {
    const clusters = [view('b', []), view('a', [{ name: 'other', namespace: 'kplane-system' }]), view('hub/m1', [], 'hub')];
    assert.deepEqual(profileTargets(profileFileFacts(TEXT), clusters, 'kplane-system'), { ids: ['a', 'b'], running: false });
    assert.deepEqual(profileTargets(profileFileFacts('apiVersion: v1\nkind: ConfigMap\n'), clusters, 'kplane-system'), { ids: [], running: false });
  });
});
