import { usageError } from './cli-error.ts';

/** Plain-text tables for the client commands: columns padded with spaces, no trailing blanks. */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[], indent = ''): string {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    indent +
    cells
      .map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column]!)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

/** Parses `key=value` (the value may contain '='); a usage error names the option when malformed. */
export function parseKeyValue(text: string, option: string): { key: string; value: string } {
  const at = text.indexOf('=');
  if (at <= 0) throw usageError(`${option} expects key=value, got '${text}'`);
  return { key: text.slice(0, at), value: text.slice(at + 1) };
}
