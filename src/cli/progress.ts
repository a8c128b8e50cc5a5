// A progress line on stderr: a live bar with rate and ETA on a terminal, nothing but the final line otherwise.
export interface Progress {
  update(done: number): void;
  done(): void;
}

export function progress(label: string, total: number): Progress {
  const tty = process.stderr.isTTY === true;
  const t0 = performance.now();
  let last = 0;
  const line = (done: number) => {
    const s = (performance.now() - t0) / 1000;
    const rate = done / Math.max(s, 1e-9);
    const eta = done > 0 ? (total - done) / rate : 0;
    const w = 24, fill = Math.round((w * done) / Math.max(total, 1));
    return `${label} [${"#".repeat(fill)}${".".repeat(w - fill)}] ${done}/${total} ${rate.toFixed(1)}/s ETA ${eta.toFixed(0)}s`;
  };
  return {
    update(done) {
      last = done;
      if (tty) process.stderr.write(`\r${line(done)}`);
    },
    done() {
      if (tty) process.stderr.write(`\r${line(last)}\n`);
    },
  };
}
