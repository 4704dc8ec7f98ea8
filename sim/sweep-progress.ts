import cliProgress from 'cli-progress';

/** How a sweep shows its progress on stderr, and prints a seed's lines to stdout without tearing it. */
export interface SweepProgress {
  /** `done` seeds finished (in any order), `failed` of them failed. */
  update(done: number, failed: number): void;
  /** Prints a line to stdout. */
  aside(text: string): void;
  /** Draws the last state; after it, aside still prints. */
  stop(): void;
}

/** The plain line's period, as the sweep has always printed it: `cluster: 50/150 seeds, 0 failed, 123.3 s`. */
const plainLineEveryMs = 2000;

/**
 * A progress bar with rate and ETA (cli-progress) when stderr is a terminal; otherwise (a file, a
 * pipe, CI) a plain line every 2 s and at the end.
 */
export function startSweepProgress(label: string, total: number, stream: NodeJS.WriteStream = process.stderr): SweepProgress {
  return stream.isTTY === true ? new BarProgress(label, total, stream) : new LineProgress(label, total, stream);
}

class LineProgress implements SweepProgress {
  private readonly startedMs = performance.now();
  private lastLineMs = this.startedMs;

  constructor(
    private readonly label: string,
    private readonly total: number,
    private readonly stream: NodeJS.WritableStream,
  ) {}

  update(done: number, failed: number): void {
    const nowMs = performance.now();
    if (nowMs - this.lastLineMs <= plainLineEveryMs && done < this.total) return;
    this.lastLineMs = nowMs;
    this.stream.write(`${this.label}: ${done}/${this.total} seeds, ${failed} failed, ${((nowMs - this.startedMs) / 1000).toFixed(1)} s\n`);
  }

  aside(text: string): void {
    console.log(text);
  }

  stop(): void {}
}

class BarProgress implements SweepProgress {
  private readonly startedMs = performance.now();
  private readonly bar: cliProgress.SingleBar;
  private active = true;

  constructor(
    label: string,
    total: number,
    private readonly stream: NodeJS.WriteStream,
  ) {
    this.bar = new cliProgress.SingleBar({
      stream,
      format: `${label} {bar} {value}/{total} seeds | {failed} failed | {rate} seeds/s | ETA {eta_formatted} | {duration_formatted}`,
      barsize: 24,
      // Seeds vary a lot in duration: estimate the rate over the last 50 finished seeds, not 10.
      etaBuffer: 50,
      // Redraw every frame, so that the bar comes back at once after aside() cleared its line.
      forceRedraw: true,
      hideCursor: false,
    });
    this.bar.start(total, 0, { failed: 0, rate: '0.0' });
  }

  update(done: number, failed: number): void {
    const seconds = (performance.now() - this.startedMs) / 1000;
    this.bar.update(done, { failed, rate: (seconds > 0 ? done / seconds : 0).toFixed(1) });
  }

  aside(text: string): void {
    // When stdout is the same terminal, the line would land after the bar: clear the bar's line
    // first; the next frame draws it again below the text.
    if (this.active && process.stdout.isTTY === true) {
      this.stream.cursorTo(0);
      this.stream.clearLine(0);
    }
    console.log(text);
  }

  stop(): void {
    if (!this.active) return;
    this.active = false;
    // stop() returns the cursor to where start() saved it (ESC 7, ESC 8): after lines printed
    // aside, that is rows above the bar. Save it again here, on the bar's line.
    this.stream.write('\x1b7');
    this.bar.stop();
  }
}
