/**
 * With --json, exactly one JSON object on stdout; otherwise a short human summary. Either way
 * notes and progress stay on stderr.
 */
export function emit(json: boolean | string | undefined, result: object, human: () => string): void {
  process.stdout.write(json ? `${JSON.stringify(result)}\n` : `${human()}\n`);
}
