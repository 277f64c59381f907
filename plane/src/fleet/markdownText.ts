/**
 * Cluster text inside Markdown (VS Code tooltips, the fleet report): every character Markdown
 * or its inline HTML reads is backslash-escaped (CommonMark allows it before any ASCII
 * punctuation), so a condition message such as `![x](https://tracker/p.png)` or `<img …>` shows
 * as the text it is, never as an image, a link or markup; line breaks become spaces, so one
 * value cannot start a heading or a list.
 */
export function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|<>~&:="']/g, '\\$&').replace(/[\r\n]+/g, ' ');
}
