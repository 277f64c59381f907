/** How the tree, the dashboard and the CLI name a Helm layer's chart (profile/src/conditions.ts). */
import { strict as assert } from 'node:assert';
import { layerChartText } from '@kplane/profile';

describe('layerChartText', () => {
  it('names chart and version, the upgrade as old → new, nothing for a manifests layer', () => {
    assert.equal(layerChartText({ chart: 'web', chartVersion: '1.1.0' }), 'web 1.1.0');
    assert.equal(layerChartText({ chart: 'web', chartVersion: '1.1.0', previousChartVersion: '1.0.0' }), 'web 1.0.0 → 1.1.0');
    assert.equal(layerChartText({ chart: 'web', chartVersion: '1.1.0', previousChartVersion: '1.1.0' }), 'web 1.1.0');
    assert.equal(layerChartText({ chart: 'web' }), 'web');
    assert.equal(layerChartText({}), undefined);
  });
});
