import { describe, expect, it } from "vitest";

import { cellEdges, safeExtent, validRange } from "../src/shared/axes";
import { MINUS, featureLabel, fidelityText, formatNumber, metricLabel, withMinus } from "../src/shared/format";

describe("format helpers", () => {
  it("formats numbers compactly", () => {
    expect(formatNumber(0)).toBe("0");
    expect(formatNumber(0.123456)).toBe("0.1235");
    expect(formatNumber(-2.5)).toBe("-2.5");
    expect(formatNumber(123456)).toBe("1.235e+5");
    expect(formatNumber(NaN)).toBe("n/a");
    expect(formatNumber(null)).toBe("n/a");
  });

  it("turns a leading hyphen into the minus sign U+2212 (exponents keep theirs)", () => {
    expect(MINUS).toBe("\u2212");
    expect(withMinus("-2.504")).toBe("−2.504");
    expect(withMinus("-1.2e-7")).toBe("−1.2e-7");
    expect(withMinus("+0.52")).toBe("+0.52");
    expect(withMinus("0")).toBe("0");
    expect(withMinus("n/a")).toBe("n/a");
  });

  it("labels features and metrics", () => {
    expect(featureLabel({ name: "speed", unit: "m/s" })).toBe("speed [m/s]");
    expect(featureLabel({ name: "speed", unit: null })).toBe("speed");
    expect(metricLabel("r2")).toBe("R²");
    expect(metricLabel("spearman")).toBe("spearman");
  });

  it("writes the fidelity caption", () => {
    expect(fidelityText({ metric: "R²", value: 0.62, ci: [0.6, 0.64] })).toBe(
      "fidelity R² = 0.62 [0.60, 0.64]",
    );
    expect(fidelityText({ metric: "accuracy", value: 0.9 })).toBe("fidelity accuracy = 0.90");
    // without the host's line no split is claimed unless one was sent
    expect(fidelityText({ metric: "r2", value: 0.9, ci: null, split: "in-sample" })).toBe("fidelity R² = 0.90 (in-sample)");
    expect(fidelityText(null)).toBe("");
    // the host's own line names the split
    expect(fidelityText({ metric: "agreement", value: 0.93, text: "agreement = 0.930 on 12 in-sample prompts" })).toBe(
      "fidelity agreement = 0.930 on 12 in-sample prompts",
    );
  });
});

describe("axis helpers", () => {
  it("computes safe extents and ranges", () => {
    expect(safeExtent([3, NaN, 1], [2])).toEqual([1, 3]);
    expect(safeExtent([])).toEqual([0, 1]);
    expect(safeExtent([2, 2])).toEqual([1.9, 2.1]);
    expect(validRange([0, 1])).toEqual([0, 1]);
    expect(validRange([1, 1])).toBeNull();
    expect(validRange(null)).toBeNull();
  });

  it("computes clamped cell edges", () => {
    expect(cellEdges([0, 1, 2], 0, 2)).toEqual([0, 0.5, 1.5, 2]);
    expect(cellEdges([0, 1, 3], -10, 10)).toEqual([-0.5, 0.5, 2, 4]);
    expect(cellEdges([5], 0, 10)).toEqual([0, 10]);
  });
});

import { integerTicks, linePath, logTicks } from "../src/shared/axes";
import { formatLogTick, formatPercent, formatScoreCI, formatScorePrecise, formatThreshold } from "../src/shared/format";
import { CATEGORICAL, NEUTRAL, classColor } from "../src/shared/palette";

describe("helpers added for the Pareto picker and rules view", () => {
  it("formats log ticks, percentages, thresholds and near-perfect scores", () => {
    expect(formatLogTick(1e-9)).toBe("10⁻⁹");
    expect(formatLogTick(1e-1)).toBe("10⁻¹");
    expect(formatLogTick(1)).toBe("1");
    expect(formatLogTick(10)).toBe("10");
    expect(formatLogTick(1000)).toBe("10³");
    expect(formatLogTick(0.2)).toBe("0.2");
    expect(formatPercent(0.973)).toBe("97%");
    expect(formatPercent(0.004)).toBe("0.4%");
    expect(formatPercent(0)).toBe("0%");
    expect(formatPercent(null)).toBe("n/a");
    expect(formatThreshold(52000)).toBe("52,000");
    expect(formatThreshold(52000.5)).toBe("52,001");
    expect(formatThreshold(0.35)).toBe("0.35");
    expect(formatThreshold(-12500)).toBe("-12,500");
    expect(formatScorePrecise(0.957)).toBe("0.96");
    expect(formatScorePrecise(0.9996)).toBe("0.9996");
    expect(formatScorePrecise(0.99998)).toBe("0.99998");
    expect(formatScorePrecise(0.99999999)).toBe("1.00");
    expect(formatScorePrecise(1)).toBe("1.00");
    expect(formatScoreCI(0.62, [0.6, 0.64])).toBe("0.62 [0.60, 0.64]");
    expect(formatScoreCI(0.62, null)).toBe("0.62");
  });

  it("computes integer and log ticks", () => {
    expect(integerTicks(0.5, 9.5, 20)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(integerTicks(0.5, 40.5, 8)).toEqual([5, 10, 15, 20, 25, 30, 35, 40]);
    expect(integerTicks(1.2, 1.8, 5)).toEqual([]);
    expect(integerTicks(9.5, 0.5, 20)).toHaveLength(9); // reversed bounds are fine
    const wide = logTicks(5e-10, 20, 6);
    expect(wide.length).toBeLessThanOrEqual(6);
    expect(wide[wide.length - 1]).toBe(10);
    for (const t of wide) expect(Math.log10(t) % 1).toBeCloseTo(0);
    expect(logTicks(0.15, 0.9, 6)).toEqual([0.2, 0.5]);
    expect(logTicks(0.3, 0.45, 6).length).toBeGreaterThanOrEqual(2);
    expect(logTicks(0, 1, 5)).toEqual([]);
  });

  it("builds line paths that break at gaps", () => {
    const id = (v: number) => v;
    expect(linePath([0, 1, 2, 3], [0, NaN, 2, 3], id, id)).toBe("M0.00,0.00M2.00,2.00L3.00,3.00");
    expect(linePath([1, 2], [-1, 1], id, Math.log10)).toBe("M2.00,0.00"); // log of a negative is dropped
  });

  it("picks categorical colours", () => {
    expect(classColor(0)).toBe(CATEGORICAL[0]);
    expect(classColor(CATEGORICAL.length)).toBe(CATEGORICAL[0]);
    expect(classColor(null)).toBe(NEUTRAL);
    expect(classColor(-1)).toBe(NEUTRAL);
  });
});
