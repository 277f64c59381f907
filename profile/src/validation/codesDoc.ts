/**
 * docs/diagnostics.md, rendered from ./codes.ts. scripts/gen-diagnostics-doc.mjs writes it, and
 * test/unit/profile/diagnosticsDoc.test.ts fails when the checked-in file differs.
 */
import { FINDING_AREAS, FINDING_CODES, type FindingArea, type FindingCode, type FindingCodeInfo } from './codes.js';

export function diagnosticsDoc(): string {
  const entries = Object.entries(FINDING_CODES) as [FindingCode, FindingCodeInfo][];
  const out: string[] = [
    '# Diagnostics',
    '',
    '<!-- Generated from profile/src/validation/codes.ts by node scripts/gen-diagnostics-doc.mjs. Do not edit. -->',
    '',
    'Every finding kplane reports in the editor (language server), in `kplane validate` and in the',
    "dashboard's values editor has one of these codes (the agent's SpecValid condition quotes the",
    'messages of the same findings).',
    '',
    '**Adding or renaming a code is one edit:** the entry in `profile/src/validation/codes.ts`',
    '(`FINDING_CODES`: meaning, example, fix, quick fix). Code that produces or keys on a code',
    'that is not there does not compile. Then run `node scripts/gen-diagnostics-doc.mjs` to',
    'regenerate this file (a unit test fails while it is out of date).',
    '',
    `${entries.length} codes; ${entries.filter(([, i]) => i.quickFix).length} have a quick fix in the editor.`,
    '',
  ];
  for (const [area, title] of Object.entries(FINDING_AREAS) as [FindingArea, string][]) {
    const codes = entries.filter(([, info]) => info.area === area).sort(([a], [b]) => a.localeCompare(b));
    out.push(`## ${title}`, '', '| code | quick fix |', '|---|---|');
    for (const [code, info] of codes) out.push(`| [\`${code}\`](#${code.toLowerCase()}) | ${info.quickFix ? 'yes' : ''} |`);
    out.push('');
    for (const [code, info] of codes) {
      out.push(`### ${code}`, '', info.meaning, '', '```yaml', info.example, '```', '', `**Fix:** ${info.fix}${info.quickFix ? ' The editor offers a quick fix.' : ''}`, '');
    }
  }
  return out.join('\n');
}
