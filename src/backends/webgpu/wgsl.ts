import { SHADERS } from './shaders.generated.js';

export type Defines = Readonly<Record<string, number | boolean | string>>;

/**
 * A tiny preprocessor for the WGSL in shaders/: `#include name`, `#if NAME` / `#if !NAME` /
 * `#else` / `#endif` (a define is true unless it is false, 0 or absent) and `{{NAME}}`
 * substitution. Shapes (tile sizes, row width) become constants, so private arrays have
 * compile-time sizes and loops unroll.
 */
export function shaderSource(name: string, defines: Defines): string {
  return expand(name, defines, new Set()).join('\n');
}

function expand(name: string, defines: Defines, seen: Set<string>): string[] {
  const source = SHADERS[name];
  if (source === undefined) throw new Error(`webgpu: no shader named ${name}`);
  if (seen.has(name)) return [];
  seen.add(name);
  const out: string[] = [];
  // One entry per open #if: whether its current branch is the one kept.
  const stack: { active: boolean }[] = [];
  const active = () => stack.every((s) => s.active);
  source.split('\n').forEach((line, index) => {
    const directive = /^\s*#(\w+)\s*(.*?)\s*$/.exec(line);
    if (directive) {
      const [, word, arg] = directive;
      if (word === 'if') {
        const negate = arg!.startsWith('!');
        const value = defines[negate ? arg!.slice(1) : arg!];
        const truthy = value !== undefined && value !== false && value !== 0;
        stack.push({ active: negate ? !truthy : truthy });
        return;
      }
      if (word === 'else') {
        const top = stack[stack.length - 1];
        if (!top) throw new Error(`${name}.wgsl:${index + 1}: #else without #if`);
        top.active = !top.active;
        return;
      }
      if (word === 'endif') {
        if (!stack.pop()) throw new Error(`${name}.wgsl:${index + 1}: #endif without #if`);
        return;
      }
      if (word === 'include') {
        if (active()) out.push(...expand(arg!, defines, seen));
        return;
      }
      throw new Error(`${name}.wgsl:${index + 1}: unknown directive #${word}`);
    }
    if (!active()) return;
    out.push(
      line.replace(/\{\{(\w+)\}\}/g, (_, key: string) => {
        const value = defines[key];
        if (value === undefined || typeof value === 'boolean') throw new Error(`${name}.wgsl:${index + 1}: no value for {{${key}}}`);
        return String(value);
      }),
    );
  });
  if (stack.length) throw new Error(`${name}.wgsl: unterminated #if`);
  return out;
}
