#!/usr/bin/env node
// The `poet` command: dispatches to one command per file. User errors print one line, without a stack trace.
import { UserError } from "../errors.js";
import type { Command } from "./command.js";
import { analyzeCommand } from "./analyze.js";
import { demoCommand } from "./demo.js";
import { envCommand } from "./env.js";
import { evalCommand } from "./eval.js";
import { generateCommand } from "./generate.js";
import { logpsCommand } from "./logps.js";
import { pretrainCommand } from "./pretrain.js";
import { reportCommand } from "./report.js";
import { rewardCommand } from "./reward.js";
import { serveCommand } from "./serve.js";
import { sftCommand } from "./sft.js";
import { trainCommand } from "./train.js";
import { winrateCommand } from "./winrate.js";

const commands: Command[] = [
  demoCommand, trainCommand, evalCommand, generateCommand, winrateCommand, analyzeCommand, reportCommand,
  rewardCommand, pretrainCommand, sftCommand, serveCommand, logpsCommand, envCommand,
];

const help = `poet: align causal language models to human preferences (DPO, SimPO, POET), on a fast CPU engine

Usage: poet <command> [options]      (poet <command> --help for details)

Commands:
${commands.map((c) => `  ${c.name.padEnd(10)} ${c.summary}`).join("\n")}

Examples:
  poet demo --output poet-demo
  poet train --model examples/tiny-gpt2 --data examples/pairs.jsonl --output-dir runs/dpo-poet --truncation poet
  poet eval --model runs/dpo-poet --ref-model examples/tiny-gpt2 --data examples/pairs.jsonl --json
  poet logps --model examples/tiny-gpt2 --data examples/pairs.jsonl --truncation poet --output logps.jsonl
  poet env
`;

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "-h" || name === "--help" || name === "help") {
    process.stdout.write(help);
    return name === undefined ? 1 : 0;
  }
  if (name === "--version" || name === "-v") {
    process.stdout.write("poet 0.1.0\n");
    return 0;
  }
  const cmd = commands.find((c) => c.name === name);
  if (!cmd) throw new UserError(`unknown command "${name}"; commands: ${commands.map((c) => c.name).join(", ")} (poet --help)`);
  if (rest.includes("-h") || rest.includes("--help")) {
    process.stdout.write(cmd.help);
    return 0;
  }
  await cmd.run(rest);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (e: unknown) => {
    if (e instanceof UserError) {
      process.stderr.write(`poet: error: ${e.message}\n`);
      process.exitCode = 2;
    } else {
      process.stderr.write(`poet: internal error (a bug; please report it):\n${(e as Error).stack ?? String(e)}\n`);
      process.exitCode = 1;
    }
  },
);
