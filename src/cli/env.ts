// `poet env`: which backend runs, with which threads and libraries, on what machine.
import { cpus, totalmem } from "node:os";
import { getBackend, whyNotNative } from "../engine/backend.js";
import { parseFlags, type Command } from "./command.js";

const help = `poet env: the compute backend and machine poet runs on

Usage: poet env [--json]

Prints the backend in use (native: the C++ addon on OpenBLAS and OpenMP; portable: TypeScript), its float
type, thread count and libraries, and the CPU. Set POET_THREADS to change the thread count and
POET_BACKEND=portable to force the TypeScript backend.

Examples:
  poet env
  POET_THREADS=1 poet env --json
`;

export const envCommand: Command = {
  name: "env",
  summary: "which backend, threads and libraries poet uses here",
  help,
  async run(argv) {
    const f = parseFlags("env", argv, { json: { type: "boolean" } });
    const info = getBackend().info();
    const report = {
      ...info,
      native_unavailable_reason: whyNotNative(),
      node: process.version,
      cpu: cpus()[0]?.model ?? "unknown",
      cores: cpus().length,
      memory_gib: Math.round(totalmem() / 2 ** 30),
    };
    if (f.json) {
      process.stdout.write(JSON.stringify(report) + "\n");
      return;
    }
    process.stdout.write(
      `backend:    ${info.backend} (${info.dtype})\n` +
      (report.native_unavailable_reason ? `            native unavailable: ${report.native_unavailable_reason}\n` : "") +
      `threads:    ${info.threads}\n` +
      `libraries:  ${info.libraries.join("; ")}\n` +
      `node:       ${report.node}\n` +
      `cpu:        ${report.cpu} (${report.cores} cores, ${report.memory_gib} GiB)\n`,
    );
  },
};
