import { describe, expect, it } from "vitest";

import { cellEdges, safeExtent, validRange } from "../src/shared/axes";
import { featureLabel, fidelityText, formatNumber, metricLabel } from "../src/shared/format";

describe("format helpers", () => {
  it("formats numbers compactly", () => {
    expect(formatNumber(0)).toBe("0");
    expect(formatNumber(0.123456)).toBe("0.1235");
    expect(formatNumber(-2.5)).toBe("-2.5");
    expect(formatNumber(123456)).toBe("1.235e+5");
    expect(formatNumber(NaN)).toBe("n/a");
    expect(formatNumber(null)).toBe("n/a");
  });

  it("labels features and metrics", () => {
    expect(featureLabel({ name: "speed", unit: "m/s" })).toBe("speed [m/s]");
    expect(featureLabel({ name: "speed", unit: null })).toBe("speed");
    expect(metricLabel("r2")).toBe("R²");
    expect(metricLabel("spearman")).toBe("spearman");
  });

  it("writes the fidelity caption", () => {
    expect(fidelityText({ metric: "R²", value: 0.62, ci: [0.6, 0.64] })).toBe(
      "fidelity R² = 0.62 [0.60, 0.64] on held-out probes",
    );
    expect(fidelityText({ metric: "accuracy", value: 0.9 })).toBe("fidelity accuracy = 0.90 on held-out probes");
    expect(fidelityText(null)).toBe("");
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
