// Test helper (no tests): `poet serve` as a real process on a free loopback port, for the serve and judge tests.
import { spawn } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const TINY_GPT2 = join(ROOT, "examples", "tiny-gpt2");

/** Starts `poet serve` on a free port; resolves with its base URL and a stop function. */
export async function startServer(model = TINY_GPT2): Promise<{ url: string; stop: () => void }> {
  const child = spawn(process.execPath, [join(ROOT, "dist", "src", "cli", "main.js"), "serve", "--model", model, "--port", "0"], { stdio: ["ignore", "ignore", "pipe"] });
  const url = await new Promise<string>((resolve, reject) => {
    let err = "";
    child.stderr.on("data", (d: Buffer) => {
      err += d.toString();
      const m = /at (http:\/\/[\d.]+:\d+\/v1)/.exec(err);
      if (m) resolve(m[1]!);
    });
    child.on("exit", () => reject(new Error(`poet serve exited: ${err}`)));
  });
  return { url, stop: () => child.kill("SIGTERM") };
}
