/**
 * A one-line progress bar on stderr, drawn only when stderr is a terminal so that logs and
 * pipes stay clean.
 */
export class Progress {
  private readonly enabled: boolean;
  private lastDraw = 0;

  constructor(private readonly stream: NodeJS.WriteStream = process.stderr) {
    this.enabled = Boolean(stream.isTTY);
  }

  update(fraction: number, label: string): void {
    if (!this.enabled) return;
    const now = Date.now();
    if (now - this.lastDraw < 100 && fraction < 1) return; // redraw at most 10 times a second
    this.lastDraw = now;
    const width = 24;
    const filled = Math.round(Math.min(1, Math.max(0, fraction)) * width);
    this.stream.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${label}\x1b[K`);
  }

  done(): void {
    if (this.enabled && this.lastDraw > 0) this.stream.write('\r\x1b[K');
  }
}

/** A note for the user on stderr (never on stdout, which --json keeps for the result). */
export function note(message: string): void {
  process.stderr.write(`clusterkit: ${message}\n`);
}
