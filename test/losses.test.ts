// Closed-form checks of every loss in the table: hand-computed values (the arithmetic is in the case), float64
// central finite differences of the gradient, label smoothing, the reference (ignored when not needed), extreme
// margins, RPO's NLL term and the batch mean. Cases are keyed by LossName, so a loss without cases does not compile.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { mulberry32 } from "../src/engine/random.js";
import { log1mexp } from "../src/losses/log1mexp.js";
import { logSigmoid, sigmoid } from "../src/losses/logistic.js";
import { losses, lossNames, type LossConfig, type LossInput, type LossName, type LossResult, type SequenceLogps } from "../src/losses/index.js";

const seq = (chosen: number[], rejected: number[], chosenTokens: number[], rejectedTokens: number[]): SequenceLogps => ({
  chosen: Float64Array.from(chosen),
  rejected: Float64Array.from(rejected),
  chosenTokens: Float64Array.from(chosenTokens),
  rejectedTokens: Float64Array.from(rejectedTokens),
});

const config = (c: Partial<LossConfig>): LossConfig => ({ beta: 0.1, labelSmoothing: 0, simpoGamma: 0, rpoAlpha: 0, ...c });

/** -log sigmoid(x) = log(1 + e^-x), written out for the hand computations (safe for the small x used there). */
const softplusNeg = (x: number) => Math.log(1 + Math.exp(-x));
const sig = (x: number) => 1 / (1 + Math.exp(-x));

interface HandCase {
  what: string;
  input: LossInput;
  config: LossConfig;
  loss: number;
  dChosen: number[];
  dRejected: number[];
}

interface LossCases {
  needsReference: boolean;
  averagesLogps: boolean;
  /** Values computed by hand from the paper's / TRL's formula (not through src/). */
  hand: HandCase[];
  /** Inputs with margins around +-1000 and log-probs at the edge of their range: must stay finite. */
  extreme: LossInput[];
}

// One pair used by several cases: policy sums pc = -10 (nc = 5 tokens), pr = -12 (nr = 4); reference rc = rr = -11.
const P = seq([-10], [-12], [5], [4]);
const R = seq([-11], [-11], [5], [4]);

const cases: { [K in LossName]: LossCases } = {
  dpo: {
    needsReference: true,
    averagesLogps: false,
    hand: [
      {
        // logits = (pc - rc) - (pr - rr) = (-10 + 11) - (-12 + 11) = 1 + 1 = 2; beta logits = 0.5 * 2 = 1
        // loss = -log sigmoid(1) = log(1 + e^-1) = 0.31326168751822286
        // dl/dpc = -beta sigmoid(-1) = -0.5 * 0.2689414213699951 = -0.13447071068499755 = -dl/dpr
        what: "beta 0.5, no smoothing",
        input: { policy: P, reference: R },
        config: config({ beta: 0.5 }),
        loss: softplusNeg(1),
        dChosen: [-0.5 * sig(-1)],
        dRejected: [0.5 * sig(-1)],
      },
      {
        // eps = 0.1: loss = 0.9 log(1 + e^-1) + 0.1 log(1 + e^1) = 0.9 * 0.3132617 + 0.1 * 1.3132617 = 0.4132617
        // dl/dpc = beta (-(1 - eps) sigmoid(-1) + eps sigmoid(1)) = 0.5 (-0.9 * 0.2689414 + 0.1 * 0.7310586) = -0.0844707
        what: "beta 0.5, label smoothing 0.1",
        input: { policy: P, reference: R },
        config: config({ beta: 0.5, labelSmoothing: 0.1 }),
        loss: 0.9 * softplusNeg(1) + 0.1 * softplusNeg(-1),
        dChosen: [0.5 * (-0.9 * sig(-1) + 0.1 * sig(1))],
        dRejected: [-0.5 * (-0.9 * sig(-1) + 0.1 * sig(1))],
      },
    ],
    extreme: [
      { policy: seq([0, -1000], [-1000, 0], [3, 3], [3, 3]), reference: seq([0, 0], [0, 0], [3, 3], [3, 3]) },
    ],
  },
  ipo: {
    needsReference: true,
    averagesLogps: true,
    hand: [
      {
        // TRL averages every log-prob over its tokens: logits = (pc - rc)/nc - (pr - rr)/nr = 1/5 - (-1)/4 = 0.2 + 0.25 = 0.45
        // 1/(2 beta) = 1/(2 * 0.5) = 1; loss = (0.45 - 1)^2 = 0.3025
        // dl/dpc = 2 (0.45 - 1) / 5 = -0.22;  dl/dpr = -2 (0.45 - 1) / 4 = 0.275
        what: "beta 0.5, 5 and 4 tokens",
        input: { policy: P, reference: R },
        config: config({ beta: 0.5 }),
        loss: 0.3025,
        dChosen: [-0.22],
        dRejected: [0.275],
      },
    ],
    extreme: [
      { policy: seq([0, -1000], [-1000, 0], [1, 1], [1, 1]), reference: seq([0, 0], [0, 0], [1, 1], [1, 1]) },
    ],
  },
  hinge: {
    needsReference: true,
    averagesLogps: false,
    hand: [
      {
        // logits = 2 (as for dpo); loss = max(0, 1 - 0.1 * 2) = 0.8; dl/dpc = -beta = -0.1, dl/dpr = 0.1
        what: "beta 0.1, inside the margin",
        input: { policy: P, reference: R },
        config: config({ beta: 0.1 }),
        loss: 0.8,
        dChosen: [-0.1],
        dRejected: [0.1],
      },
      {
        // beta logits = 1 * 2 = 2 > 1: loss = max(0, 1 - 2) = 0, no gradient
        what: "beta 1, past the margin",
        input: { policy: P, reference: R },
        config: config({ beta: 1 }),
        loss: 0,
        dChosen: [0],
        dRejected: [0],
      },
    ],
    extreme: [
      { policy: seq([0, -1000], [-1000, 0], [3, 3], [3, 3]), reference: seq([0, 0], [0, 0], [3, 3], [3, 3]) },
    ],
  },
  simpo: {
    needsReference: false,
    averagesLogps: true,
    hand: [
      {
        // averages: pc/nc = -10/5 = -2, pr/nr = -12/4 = -3; z = beta (-2 + 3) - gamma = 2 * 1 - 0.5 = 1.5
        // (gamma = gamma_beta_ratio * beta = 0.25 * 2, SimPO's default ratio)
        // loss = log(1 + e^-1.5) = 0.20141327798275246
        // dl/dpc = -sigmoid(-1.5) beta / nc = -0.18242552 * 2/5 = -0.07297021;  dl/dpr = 0.18242552 * 2/4 = 0.09121276
        what: "beta 2, gamma 0.5",
        input: { policy: P, reference: null },
        config: config({ beta: 2, simpoGamma: 0.25 * 2 }),
        loss: softplusNeg(1.5),
        dChosen: [(-sig(-1.5) * 2) / 5],
        dRejected: [(sig(-1.5) * 2) / 4],
      },
      {
        // eps = 0.2: loss = 0.8 log(1 + e^-1.5) + 0.2 log(1 + e^1.5) = 0.8 * 0.2014133 + 0.2 * 1.7014133 = 0.5014133
        // dl/dz = -0.8 sigmoid(-1.5) + 0.2 sigmoid(1.5) = -0.1459404 + 0.1635149 = 0.0175745
        what: "beta 2, gamma 0.5, label smoothing 0.2",
        input: { policy: P, reference: null },
        config: config({ beta: 2, simpoGamma: 0.5, labelSmoothing: 0.2 }),
        loss: 0.8 * softplusNeg(1.5) + 0.2 * softplusNeg(-1.5),
        dChosen: [((-0.8 * sig(-1.5) + 0.2 * sig(1.5)) * 2) / 5],
        dRejected: [(-(-0.8 * sig(-1.5) + 0.2 * sig(1.5)) * 2) / 4],
      },
    ],
    extreme: [{ policy: seq([0, -4000], [-4000, 0], [4, 4], [4, 4]), reference: null }],
  },
  orpo: {
    needsReference: false,
    averagesLogps: true,
    hand: (() => {
      // pc = -2, pr = -6, 4 tokens each: ac = -0.5, ar = -1.5
      // log odds(y) = a - log(1 - e^a): -0.5 - log(1 - 0.6065307) = -0.5 + 0.9327521 = 0.4327521
      //                                 -1.5 - log(1 - 0.2231302) = -1.5 + 0.2524813 = -1.2475187
      // log_odds = 0.4327521 + 1.2475187 = 1.6802708; odds term = -0.1 log sigmoid(1.6802708) = 0.1 * 0.1708592 = 0.0170859
      // NLL = -(-2)/4 = 0.5 (one pair); loss = 0.5 + 0.0170859 = 0.5170859
      // d log_odds / d ac = 1 + e^ac/(1 - e^ac) = 1/(1 - e^ac);  d log_odds / d ar = -1/(1 - e^ar)
      // dl/dpc = -1/4 [NLL] - 0.1 sigmoid(-log_odds) / (1 - e^-0.5) / 4 = -0.25 - 0.1 * 0.1570813 / 0.3934693 / 4 = -0.2599792
      // dl/dpr = 0.1 sigmoid(-log_odds) / (1 - e^-1.5) / 4 = 0.1 * 0.1570813 / 0.7768698 / 4 = 0.0050542
      const ac = -0.5, ar = -1.5;
      const logOdds = ac - Math.log(1 - Math.exp(ac)) - (ar - Math.log(1 - Math.exp(ar)));
      const s = sig(-logOdds);
      return [
        {
          what: "beta 0.1, 4 tokens each",
          input: { policy: seq([-2], [-6], [4], [4]), reference: null },
          config: config({ beta: 0.1 }),
          loss: 0.5 + 0.1 * softplusNeg(logOdds),
          dChosen: [-1 / 4 + (-0.1 * s) / (1 - Math.exp(ac)) / 4],
          dRejected: [(0.1 * s) / (1 - Math.exp(ar)) / 4],
        },
        {
          // two pairs: NLL = -(-2 - 6)/(4 + 4) = 1 (one token mean, not a mean of per-pair means); the second pair is
          // the first swapped, so its log_odds is -1.6802708
          what: "two pairs, NLL over all chosen tokens",
          input: { policy: seq([-2, -6], [-6, -2], [4, 4], [4, 4]), reference: null },
          config: config({ beta: 0.1 }),
          loss: 1 + (0.1 * softplusNeg(logOdds) + 0.1 * softplusNeg(-logOdds)) / 2,
          dChosen: [-1 / 8 + (-0.1 * s) / (1 - Math.exp(ac)) / 4 / 2, -1 / 8 + (-0.1 * (1 - s)) / (1 - Math.exp(ar)) / 4 / 2],
          dRejected: [(0.1 * s) / (1 - Math.exp(ar)) / 4 / 2, (0.1 * (1 - s)) / (1 - Math.exp(ac)) / 4 / 2],
        },
      ];
    })(),
    extreme: [
      // averaged log-probs -1000 against -1e-12 (odds near 0 against odds near infinity), both ways; and ac = 0
      { policy: seq([-4000, -4e-12, 0], [-4e-12, -4000, -1], [4, 4, 4], [4, 4, 4]), reference: null },
    ],
  },
};

function close(actual: number, expected: number, tol: number, what: string): void {
  assert.ok(Math.abs(actual - expected) <= tol * Math.max(1, Math.abs(expected)), `${what}: ${actual} vs ${expected}`);
}

/** Random batch of B pairs: sums = -(tokens * per-token nll), the reference a perturbation of the policy. */
function randomInput(seed: number, B: number): LossInput {
  const r = mulberry32(seed);
  const tokens = () => Array.from({ length: B }, () => 1 + Math.floor(r() * 30));
  const nc = tokens(), nr = tokens();
  const sums = (n: number[]) => n.map((t) => -t * (0.05 + 3 * r()));
  const pc = sums(nc), pr = sums(nr);
  return {
    policy: seq(pc, pr, nc, nr),
    reference: seq(pc.map((x) => x + 4 * (r() - 0.5)), pr.map((x) => x + 4 * (r() - 0.5)), nc, nr),
  };
}

function perturbed(input: LossInput, side: "chosen" | "rejected", i: number, h: number): LossInput {
  const arr = Float64Array.from(input.policy[side]);
  arr[i]! += h;
  return { ...input, policy: { ...input.policy, [side]: arr } };
}

/** Max relative error of the analytic gradient against central differences (l(x + h) - l(x - h)) / 2h. */
function gradientError(name: LossName, input: LossInput, cfg: LossConfig): number {
  const res = losses[name].compute(input, cfg);
  let worst = 0;
  for (const side of ["chosen", "rejected"] as const) {
    const grad = side === "chosen" ? res.dChosen : res.dRejected;
    for (let i = 0; i < grad.length; i++) {
      const h = 1e-6 * Math.max(1, Math.abs(input.policy[side][i]!));
      const fd = (losses[name].compute(perturbed(input, side, i, h), cfg).loss - losses[name].compute(perturbed(input, side, i, -h), cfg).loss) / (2 * h);
      worst = Math.max(worst, Math.abs(fd - grad[i]!) / Math.max(1e-3, Math.abs(grad[i]!)));
    }
  }
  return worst;
}

const finite = (res: LossResult) => Number.isFinite(res.loss) && [...res.dChosen, ...res.dRejected].every(Number.isFinite);

describe("loss table", () => {
  it("has one entry per LossName with the needs the cases expect", () => {
    assert.deepEqual([...lossNames].sort(), Object.keys(cases).sort());
    for (const name of lossNames) {
      assert.equal(losses[name].needsReference, cases[name].needsReference, name);
      assert.equal(losses[name].averagesLogps, cases[name].averagesLogps, name);
      assert.ok(losses[name].source.length > 0, name);
    }
  });
});

for (const name of lossNames) {
  describe(`loss ${name}`, () => {
    const c = cases[name];

    it("matches the hand-computed values and gradients", () => {
      for (const h of c.hand) {
        const res = losses[name].compute(h.input, h.config);
        close(res.loss, h.loss, 1e-12, `${h.what}: loss`);
        h.dChosen.forEach((d, i) => close(res.dChosen[i]!, d, 1e-12, `${h.what}: dChosen[${i}]`));
        h.dRejected.forEach((d, i) => close(res.dRejected[i]!, d, 1e-12, `${h.what}: dRejected[${i}]`));
      }
    });

    it("has the gradient of its loss (float64 central differences)", () => {
      const configs = [
        config({ beta: 0.1 }),
        config({ beta: 0.7, labelSmoothing: 0.15, simpoGamma: 0.3 }),
        config({ beta: 2.5, simpoGamma: 1.6, rpoAlpha: 0.4 }),
      ];
      for (const [k, cfg] of configs.entries()) {
        for (let seed = 1; seed <= 4; seed++) {
          const input = randomInput(100 * k + seed, 6);
          if (name === "hinge") {
            // keep away from the kink at beta logits = 1, where the gradient jumps
            const p = input.policy, r = input.reference!;
            const nearKink = p.chosen.some((pc, i) => Math.abs(1 - cfg.beta * (pc - r.chosen[i]! - (p.rejected[i]! - r.rejected[i]!))) < 1e-3);
            if (nearKink) continue;
          }
          const err = gradientError(name, input, cfg);
          assert.ok(err < 1e-6, `config ${k}, seed ${seed}: relative gradient error ${err}`);
        }
      }
    });

    it("is the mean over pairs of the single-pair losses, with gradients scaled by 1/B", () => {
      const cfg = config({ beta: 0.5, simpoGamma: 0.2 });
      const input = randomInput(7, 5);
      const batch = losses[name].compute(input, cfg);
      let sum = 0;
      for (let i = 0; i < 5; i++) {
        const pick = (s: SequenceLogps) => seq([s.chosen[i]!], [s.rejected[i]!], [s.chosenTokens[i]!], [s.rejectedTokens[i]!]);
        const one = losses[name].compute({ policy: pick(input.policy), reference: pick(input.reference!) }, cfg);
        sum += one.loss;
        if (name === "orpo") continue; // its NLL is one token mean over the batch, not a mean of per-pair terms
        close(batch.dChosen[i]!, one.dChosen[0]! / 5, 1e-12, `dChosen[${i}]`);
        close(batch.dRejected[i]!, one.dRejected[0]! / 5, 1e-12, `dRejected[${i}]`);
      }
      if (name !== "orpo") close(batch.loss, sum / 5, 1e-12, "loss");
    });

    it("reads no config field outside its `reads` list (besides rpoAlpha)", () => {
      const input = randomInput(11, 4);
      const base = config({ beta: 0.3, labelSmoothing: 0.1, simpoGamma: 0.5 });
      const ref = losses[name].compute(input, base);
      for (const key of ["beta", "labelSmoothing", "simpoGamma"] as const) {
        const changed = losses[name].compute(input, { ...base, [key]: base[key] * 1.5 + 0.01 });
        assert.equal(changed.loss !== ref.loss, losses[name].reads.includes(key), `${key}`);
      }
    });

    it("adds rpoAlpha times the chosen NLL averaged over the batch's chosen tokens", () => {
      const input = randomInput(13, 4);
      const cfg = config({ beta: 0.3, simpoGamma: 0.5 });
      const without = losses[name].compute(input, cfg);
      const alpha = 0.7;
      const withNll = losses[name].compute(input, { ...cfg, rpoAlpha: alpha });
      const tokens = input.policy.chosenTokens.reduce((a, b) => a + b, 0);
      const nll = -input.policy.chosen.reduce((a, b) => a + b, 0) / tokens;
      close(withNll.loss, without.loss + alpha * nll, 1e-12, "loss");
      withNll.dChosen.forEach((d, i) => close(d, without.dChosen[i]! - alpha / tokens, 1e-12, `dChosen[${i}]`));
      assert.deepEqual(withNll.dRejected, without.dRejected);
    });

    if (c.needsReference) {
      it("throws (a bug) without the reference it needs", () => {
        assert.throws(() => losses[name].compute({ policy: P, reference: null }, config({})), /needs the reference/);
      });
    } else {
      it("ignores the reference: none, or one full of NaN, gives the same result", () => {
        const input = randomInput(17, 4);
        const nan = new Float64Array(4).fill(NaN);
        const garbage: SequenceLogps = { chosen: nan, rejected: nan, chosenTokens: nan, rejectedTokens: nan };
        const cfg = config({ beta: 2, simpoGamma: 1 });
        assert.deepEqual(losses[name].compute({ ...input, reference: garbage }, cfg), losses[name].compute({ ...input, reference: null }, cfg));
      });
    }

    it("stays finite at extreme margins (+-1000) and log-probs at the edge of their range", () => {
      for (const input of c.extreme)
        for (const cfg of [config({ beta: 1 }), config({ beta: 1, labelSmoothing: 0.3, simpoGamma: 5, rpoAlpha: 1 })]) {
          const res = losses[name].compute(input, cfg);
          assert.ok(finite(res), `${JSON.stringify(cfg)}: ${res.loss} ${[...res.dChosen]} ${[...res.dRejected]}`);
        }
    });
  });
}

describe("label smoothing", () => {
  // -(1 - eps) log s(z) - eps log s(-z) = -log s(z) + eps (log s(z) - log s(-z)) = -log s(z) + eps z
  it("adds eps times the margin for dpo and simpo (0 leaves the paper's loss)", () => {
    const input = randomInput(19, 5);
    const p = input.policy, r = input.reference!;
    const beta = 0.4, gamma = 0.3, eps = 0.2;
    const zDpo = [...p.chosen].map((pc, i) => beta * (pc - r.chosen[i]! - (p.rejected[i]! - r.rejected[i]!)));
    const zSimpo = [...p.chosen].map((pc, i) => beta * (pc / p.chosenTokens[i]! - p.rejected[i]! / p.rejectedTokens[i]!) - gamma);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const paper = (zs: number[]) => mean(zs.map((z) => -logSigmoid(z)));
    for (const [name, zs] of [["dpo", zDpo], ["simpo", zSimpo]] as const) {
      const plain = losses[name].compute(input, config({ beta, simpoGamma: gamma }));
      const smooth = losses[name].compute(input, config({ beta, simpoGamma: gamma, labelSmoothing: eps }));
      close(plain.loss, paper(zs), 1e-12, `${name} eps 0`);
      close(smooth.loss, paper(zs) + eps * mean(zs), 1e-12, `${name} eps ${eps}`);
    }
  });
});

describe("numerics", () => {
  it("logSigmoid and sigmoid are exact in both tails", () => {
    assert.equal(logSigmoid(-1000), -1000);
    assert.equal(logSigmoid(1000), 0);
    close(logSigmoid(40), -Math.exp(-40), 1e-15, "logSigmoid(40)");
    assert.equal(sigmoid(-1000), 0);
    assert.equal(sigmoid(1000), 1);
    close(sigmoid(-40) / Math.exp(-40), 1, 1e-14, "sigmoid(-40)");
  });

  it("log1mexp keeps its digits near 0 and far below it", () => {
    close(log1mexp(-1e-20), Math.log(1e-20), 1e-15, "near 0"); // 1 - e^-1e-20 = 1e-20 (1 - e^x would give 0)
    close(log1mexp(-50) / -Math.exp(-50), 1, 1e-15, "far below"); // log(1 - e^-50) ~ -e^-50
    close(log1mexp(-Math.LN2), Math.log(0.5), 1e-15, "at the branch");
    assert.equal(log1mexp(0), -Infinity);
  });

  it("orpo's loss at -1000 vs near 0 averaged log-probs has the right size", () => {
    // ac = -1000: log odds_c = -1000 - log(1 - e^-1000) = -1000; ar = -1e-12: log odds_r = -1e-12 - log(1e-12) = 27.631
    // log_odds = -1027.631, so the odds term is ~ beta * 1027.631
    const res = losses.orpo.compute({ policy: seq([-1000], [-1e-12], [1], [1]), reference: null }, config({ beta: 0.1 }));
    close(res.loss, 1000 + 0.1 * (1000 - Math.log(1e-12)), 1e-9, "loss");
  });
});
