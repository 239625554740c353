// Markdown for job summaries and PR comments.

/** Text for one cell of a markdown table: a `|` would end the cell, a line break the row. */
export function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}
