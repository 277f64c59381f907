/**
 * Hover inside a manifest: the field's type, description and enum values from the Kubernetes API
 * (built in) or from the profile's own CRD; nothing for a field the kind does not have.
 */
import { strict as assert } from 'node:assert';
import { builtinKubeTypes } from '@kplane/language-server/kube-schemas';
import { getLanguageService, textDocument } from '@kplane/language-server';

const TEXT = `apiVersion: kplane.dev/v1alpha1
kind: ClusterProfile
metadata:
  name: hover
spec:
  version: 1.0.0
  layers:
    - name: apps
      namespace: web
      manifests:
        - apiVersion: apps/v1
          kind: Deployment
          metadata: { name: web }
          spec:
            replicas: 2
            strategy: { type: Recreate }
            revisionHistroyLimit: 3
`;

function hoverAt(needle: string): string | undefined {
  const document = textDocument('file:///work/hover.profile.yaml', TEXT);
  const offset = TEXT.indexOf(needle) + 1;
  const result = getLanguageService({ kubeTypes: builtinKubeTypes }).doHover(document, document.positionAt(offset));
  const contents = result?.contents as { value: string } | undefined;
  return contents?.value;
}

describe('hover inside manifests', () => {
  it('a field of a built-in kind: type, description and where it comes from', () => {
    const text = hoverAt('replicas:');
    assert.ok(text, 'a hover');
    assert.match(text, /^\*\*replicas\*\* \(`integer`\)\n\nNumber of desired pods\./);
    assert.match(text, /_Deployment apps\/v1, Kubernetes v1\.36\.3\._/);
  });

  it('an enum field lists its values', () => {
    const text = hoverAt('type: Recreate');
    assert.match(text ?? '', /One of: `Recreate`, `RollingUpdate`/);
  });

  it('a misspelt field has no hover from the schema', () => {
    assert.equal(hoverAt('revisionHistroyLimit'), undefined);
  });
});

describe('hover inside custom resources', () => {
  const CRD_TEXT = `apiVersion: kplane.dev/v1alpha1
kind: ClusterProfile
metadata:
  name: hover
spec:
  version: 1.0.0
  layers:
    - name: apps
      namespace: web
      manifests:
        - apiVersion: apiextensions.k8s.io/v1
          kind: CustomResourceDefinition
          metadata: { name: widgets.example.com }
          spec:
            group: example.com
            scope: Namespaced
            names: { plural: widgets, kind: Widget }
            versions:
              - name: v1
                served: true
                storage: true
                schema:
                  openAPIV3Schema:
                    type: object
                    properties:
                      spec:
                        type: object
                        properties:
                          color: { type: string, enum: [red, blue], description: The colour. }
        - apiVersion: example.com/v1
          kind: Widget
          metadata: { name: w }
          spec:
            color: red
        - apiVersion: other.example.com/v1
          kind: Gadget
          metadata: { name: g }
          spec:
            mode: fast
`;
  const hoverIn = (needle: string): string | undefined => {
    const document = textDocument('file:///work/hover-crd.profile.yaml', CRD_TEXT);
    const result = getLanguageService({ kubeTypes: builtinKubeTypes }).doHover(document, document.positionAt(CRD_TEXT.indexOf(needle) + 1));
    return (result?.contents as { value: string } | undefined)?.value;
  };

  it('a field of a kind the profile\'s CRD defines: its schema\'s type, description and values, and the CRD', () => {
    const text = hoverIn('color: red');
    assert.match(text ?? '', /^\*\*color\*\* \(`string`\)\n\nThe colour\.\n\nOne of: `red`, `blue`\n\n_Widget example\.com\/v1, CustomResourceDefinition widgets\.example\.com\._$/);
  });

  it('a kind nobody defines: the hover says it could not be checked', () => {
    assert.equal(hoverIn('mode: fast'), '**mode**\n\n_Gadget other.example.com/v1 could not be checked: neither Kubernetes 1.36.3 nor a CustomResourceDefinition of this profile defines it._');
  });
});
