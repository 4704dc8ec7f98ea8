/// <reference types="vite/client" />
/**
 * docs/configuration.md and `chronik start --help` must say what the option table in config.ts
 * says: every option with its flag, environment variable, default and description, and no other.
 */
import { expect, test } from 'vitest';
import { configOptionSpecs, optionHelp } from './config.ts';
import { buildProgram } from './main.ts';

const docs = Object.values(
  import.meta.glob('../../docs/configuration.md', { query: '?raw', import: 'default', eager: true }) as Record<string, string>,
);

function doc(): string {
  expect(docs).toHaveLength(1);
  return docs[0]!;
}

/** The row docs/configuration.md must hold for an option. */
function docRow(spec: (typeof configOptionSpecs)[number]): string {
  const shown = spec.defaultShown ?? `\`${spec.default}\``;
  return `| \`${spec.key}\` | \`${spec.flag} ${spec.arg}\` | \`${spec.env}\` | ${shown} | ${spec.description} |`;
}

test('the option table in docs/configuration.md is the one in config.ts', () => {
  const rows = doc()
    .split('\n')
    .filter((line) => /^\| `[a-zA-Z]+` \| `--/.test(line));
  expect(rows).toEqual(configOptionSpecs.map(docRow));
});

test('chronik start --help describes every option with its default and environment variable', () => {
  const start = buildProgram().commands.find((c) => c.name() === 'start')!;
  const help = start.helpInformation({ error: false }).replace(/\s+/g, ' ');
  for (const spec of configOptionSpecs) {
    expect(help).toContain(`${spec.flag} ${spec.arg} ${optionHelp(spec)}`);
    expect(optionHelp(spec)).toMatch(new RegExp(`\\(default .+; env ${spec.env}\\)$`));
  }
  for (const option of start.options) {
    expect(option.description, option.flags).toMatch(/^\w.{20,}\(default .+; env CHRONIK_[A-Z_]+\)$/);
  }
});
