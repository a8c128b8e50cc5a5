// Builds the native addon during `npm ci` / `npm install`: makes sure Debian's OpenBLAS is there (installing it
// with apt-get when running as root), then runs node-gyp. Never fails the install: without the addon, poet runs
// on its portable TypeScript backend and `poet env` says so. `--force` rebuilds even if the addon exists.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { findBlas, hasDnnl } from "./find-blas.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const PACKAGES = ["libopenblas-openmp-dev", "libdnnl-dev"];
const say = (msg) => process.stderr.write(`poet install: ${msg}\n`);

if (process.env.POET_NO_NATIVE === "1") {
  say("POET_NO_NATIVE=1: skipping the native addon (portable backend only)");
  process.exit(0);
}

function aptInstall() {
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  const run = (args) => spawnSync("apt-get", args, { stdio: "inherit", env }).status === 0;
  say(`installing ${PACKAGES.join(" ")} with apt-get`);
  return run(["install", "-y", "-q", ...PACKAGES]) || (run(["update", "-q"]) && run(["install", "-y", "-q", ...PACKAGES]));
}

if (!findBlas() || !hasDnnl()) {
  const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
  const hasApt = spawnSync("sh", ["-c", "command -v apt-get"], { stdio: "ignore" }).status === 0;
  if (isRoot && hasApt) aptInstall();
  if (!findBlas()) {
    say(`OpenBLAS not found. For the fast native backend run:\n    sudo apt-get install -y ${PACKAGES.join(" ")}\n  then: npm run build:native`);
    say("continuing with the portable TypeScript backend");
    process.exit(0);
  }
}

const addon = join(root, "build", "Release", "poet_native.node");
if (existsSync(addon) && !process.argv.includes("--force")) process.exit(0);

function nodeGyp() {
  if (process.env.npm_config_node_gyp) return [process.execPath, process.env.npm_config_node_gyp];
  const npmDir = dirname(dirname(process.execPath));
  const bundled = join(npmDir, "lib", "node_modules", "npm", "node_modules", "node-gyp", "bin", "node-gyp.js");
  if (existsSync(bundled)) return [process.execPath, bundled];
  return ["npx", "--yes", "node-gyp"];
}

// Build against the headers of the Node that runs us (no download): its own prefix has include/node/.
const prefix = dirname(dirname(process.execPath));
const nodedir = process.env.npm_config_nodedir ||
  (existsSync(join(prefix, "include", "node", "node_api.h")) ? prefix : undefined);
const [cmd, ...pre] = nodeGyp();
const args = [...pre, "rebuild", "--release", ...(nodedir ? [`--nodedir=${nodedir}`] : [])];
const result = spawnSync(cmd, args, { cwd: root, stdio: "inherit" });
if (result.status !== 0) {
  say("building the native addon failed (see above); poet will use the portable TypeScript backend.");
  say("to retry: npm run build:native");
  process.exit(0);
}
try {
  execFileSync(process.execPath, ["-e", `require(${JSON.stringify(addon)})`], { stdio: "inherit" });
  say(`native addon built (OpenBLAS ${findBlas().variant}${hasDnnl() ? ", oneDNN" : ", without oneDNN"})`);
} catch {
  say("the native addon was built but does not load; poet will use the portable TypeScript backend.");
}
