import { parseArgs, type ParseArgsConfig } from 'node:util';
import { optionError } from '../errors.js';

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;

/** Options every data command takes. */
export const COMMON_OPTIONS = {
  backend: { type: 'string' },
  threads: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies OptionSpec;

export const COLUMN_OPTIONS = {
  columns: { type: 'string' },
  embedding: { type: 'string' },
} as const satisfies OptionSpec;

export interface Parsed {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
}

/**
 * `--preference -50`: parseArgs takes "-50" for an option and refuses the pair, so a negative
 * number after an option that takes a value is glued on as `--preference=-50`.
 */
function glueNegativeValues(argv: string[], options: OptionSpec): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const name = argv[i]!.startsWith('--') ? argv[i]!.slice(2) : undefined;
    const next = argv[i + 1];
    if (name && options[name]?.type === 'string' && next !== undefined && /^-(\d|\.\d)/.test(next)) {
      out.push(`--${name}=${next}`);
      i++;
    } else {
      out.push(argv[i]!);
    }
  }
  return out;
}

/** node:util parseArgs with errors rephrased to name the command and option. */
export function parse(command: string, argv: string[], options: OptionSpec, positionals: string[]): Parsed {
  let parsed;
  try {
    parsed = parseArgs({ args: glueNegativeValues(argv, options), options, allowPositionals: true, strict: true });
  } catch (error) {
    const message = (error as Error).message.replace(/\. To specify a positional argument.*$/s, '');
    throw optionError(command, message.replace(/^Unknown option/, 'unknown option'));
  }
  const values = parsed.values as Parsed['values'];
  if (!values.help && parsed.positionals.length !== positionals.length) {
    throw optionError(command, `expected ${positionals.map((p) => `<${p}>`).join(' ')}, got ${parsed.positionals.length} argument(s)`);
  }
  return { values, positionals: parsed.positionals };
}

export function stringOption(values: Parsed['values'], name: string): string | undefined {
  const value = values[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value === '') throw optionError(`--${name}`, 'needs a value');
  return value;
}

export function integerOption(values: Parsed['values'], name: string): number | undefined {
  const text = stringOption(values, name);
  if (text === undefined) return undefined;
  if (!/^[+-]?\d+$/.test(text.trim())) throw optionError(`--${name}`, `expected an integer, got "${text}"`);
  return Number(text);
}

export function numberOption(values: Parsed['values'], name: string): number | undefined {
  const text = stringOption(values, name);
  if (text === undefined) return undefined;
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value)) throw optionError(`--${name}`, `expected a number, got "${text}"`);
  return value;
}

export function choiceOption<T extends string>(values: Parsed['values'], name: string, choices: readonly T[]): T | undefined {
  const text = stringOption(values, name);
  if (text === undefined) return undefined;
  if (!(choices as readonly string[]).includes(text)) {
    throw optionError(`--${name}`, `expected one of ${choices.join(', ')}, got "${text}"`);
  }
  return text as T;
}

export function listOption(values: Parsed['values'], name: string): string[] | undefined {
  const text = stringOption(values, name);
  if (text === undefined) return undefined;
  const items = text.split(',').map((s) => s.trim());
  if (items.some((s) => s === '')) throw optionError(`--${name}`, `empty name in "${text}"`);
  return items;
}
