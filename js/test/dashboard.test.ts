import { describe, expect, it } from "vitest";

import { describeDetail } from "../src/dashboard/api";
import type { Report, ReportField } from "../src/dashboard/api";
import { approveBlocker, changedFields, missingReason, resolveStale } from "../src/dashboard/fields";
import { renderMarkdown } from "../src/dashboard/markdown";
import { jobOrder } from "../src/dashboard/job_list";
import { uploadBody } from "../src/dashboard/model_upload";
import { budgetParams } from "../src/dashboard/pages/distill";
import { modelInputs, reportState } from "../src/dashboard/pages/project";

function field(id: string, text: string): ReportField {
  return {
    id,
    title: `title of ${id}`,
    filled_by: "human",
    status: text ? "human" : "missing",
    guidance: "",
    texts: text ? [{ text, origin: "test", author: "ana" }] : [],
    derived: [],
    evidence: [],
  };
}

function report(version: number, texts: Record<string, string>, extra: Partial<Report> = {}): Report {
  const fields = Object.entries(texts).map(([id, text]) => field(id, text));
  const missing = fields.filter((f) => f.status === "missing").map((f) => f.id);
  return {
    id: "r1",
    project_id: "p1",
    title: "Loans",
    version,
    approved_version: null,
    missing,
    status: { automatic: 0, human: fields.length - missing.length, missing: missing.length },
    editable_fields: Object.keys(texts),
    finding_ids: [],
    saved_at: "2026-12-07T00:00:00Z",
    saved_by: "bob",
    approved_by: null,
    report: {
      system: {},
      status: {},
      missing,
      sections: [{ number: "1", title: "General", parts: [{ key: "1", title: "General", fields }] }],
      notes: [],
    },
    ...extra,
  };
}

describe("a save that met a newer version", () => {
  it("is retried when someone else changed only other fields", () => {
    const latest = report(3, { "1.a": "old", "1.b": "their new text" });
    expect(resolveStale(latest, "1.a", "old", "mine")).toEqual({ kind: "retry", version: 3 });
  });
  it("is a conflict, with their text and name, when someone changed the same field", () => {
    const latest = report(4, { "1.a": "theirs", "1.b": "" });
    expect(resolveStale(latest, "1.a", "old", "mine")).toEqual({ kind: "conflict", theirs: "theirs", version: 4, by: "bob" });
  });
  it("needs nothing when the other person saved the very same text", () => {
    expect(resolveStale(report(5, { "1.a": "mine" }), "1.a", "old", "mine")).toEqual({ kind: "same", version: 5 });
  });
});

describe("approval", () => {
  it("is refused with the list of missing fields", () => {
    const r = report(2, { "1.a": "x", "1.b": "", "9.c": "" });
    expect(missingReason(r)).toBe("2 fields missing: 1.b, 9.c");
    expect(approveBlocker(r, "officer")).toBe("2 fields missing: 1.b, 9.c");
  });
  it("is for officers only, and once per version", () => {
    const full = report(2, { "1.a": "x" });
    expect(approveBlocker(full, "analyst")).toBe("only an officer signs a report off");
    expect(approveBlocker(full, "officer")).toBe("");
    expect(approveBlocker({ ...full, approved_version: 2 }, "officer")).toBe("version 2 is approved");
    expect(reportState({ ...full, approved_version: 2, approved_by: "ofelia" })).toBe("approved (v2, ofelia)");
    expect(reportState({ ...full, approved_version: 1 })).toBe("v1 approved; v2 not yet");
  });
});

describe("version diff", () => {
  it("lists exactly the fields whose text changed", () => {
    const a = report(1, { "1.a": "same", "1.b": "before", "1.c": "" });
    const b = report(2, { "1.a": "same", "1.b": "after", "1.c": "new" });
    expect(changedFields(a, b).map((c) => [c.id, c.before, c.after])).toEqual([
      ["1.b", "before", "after"],
      ["1.c", "", "new"],
    ]);
  });
});

describe("markdown preview", () => {
  it("renders markdown and drops scripts, handlers and javascript: links", () => {
    const html = renderMarkdown("**bold** <script>alert(1)</script><img src=x onerror=alert(2)> [x](javascript:alert(3))");
    expect(html).toContain("<strong>bold</strong>");
    expect(html).not.toMatch(/<script|onerror|javascript:/i);
  });
});

describe("error lines", () => {
  it("name the field of a 422 and keep the server's text otherwise", () => {
    expect(describeDetail(422, [{ loc: ["body", "fields", "1.x"], msg: "not a field" }])).toBe("fields.1.x: not a field");
    expect(describeDetail(409, { msg: "the report is at version 3", current_version: 3 })).toBe("the report is at version 3");
    expect(describeDetail(404, "no report 'x'")).toBe("no report 'x'");
    expect(describeDetail(500, null)).toBe("HTTP 500");
  });
});

describe("analysis forms", () => {
  it("read prompt lines, adding the next word's leading space, and name a bad line", async () => {
    const { readPrompts } = await import("../src/dashboard/pages/transformer");
    expect(readPrompts("When Mary and John went out, John gave it to | Mary | John\n\n")).toEqual([
      ["When Mary and John went out, John gave it to", " Mary", " John"],
    ]);
    expect(readPrompts("a | b | c | a2\nonly a prompt")).toBe(
      'line 2: give "prompt | correct | incorrect" (and optionally "| corrupted prompt")',
    );
    expect(readPrompts("a |  | c")).toBe("line 1: an empty part");
    expect(readPrompts("  ")).toBe("give at least one prompt");
  });
  it("read an input spec and refuse low >= high or a missing number", async () => {
    const { readSpec } = await import("../src/dashboard/pages/distill");
    expect(readSpec([{ name: "T", low: "250", high: "350", unit: "K" }])).toEqual({
      names: ["T"],
      low: [250],
      high: [350],
      units: ["K"],
    });
    expect(readSpec([{ name: "x", low: "0", high: "1", unit: "" }])).toEqual({ names: ["x"], low: [0], high: [1], units: null });
    expect(readSpec([{ name: "T", low: "400", high: "350", unit: "K" }])).toBe("input T: low (400) must be below high (350)");
    expect(readSpec([{ name: "T", low: "", high: "350", unit: "" }])).toBe("input T: low and high must be numbers");
  });
});

describe("a widget's transport without a kernel", () => {
  it("keeps the stored selection's details, and has none for a selection made in the page", async () => {
    const { localTransport } = await import("../src/dashboard/local_transport");
    const t = localTransport({ title: "x" }, { value: [[0, 1]], details: { faithfulness: { f1: 0.9 } } });
    expect(t.selection()).toEqual({ value: [[0, 1]], details: { faithfulness: { f1: 0.9 } } });
    const replies: (string | null)[] = [];
    let heard = 0;
    t.onSelection(() => heard++);
    t.request([[1, 2]], (e) => replies.push(e));
    await Promise.resolve();
    expect(t.selection()).toEqual({ value: [[1, 2]], details: {} });
    t.request([[0, 1]], (e) => replies.push(e));
    await Promise.resolve();
    expect((t.selection() as { details: unknown }).details).toEqual({ faithfulness: { f1: 0.9 } });
    expect(replies).toEqual([null, null]);
    expect(heard).toBe(2);
    const forgotten = t.request([[3, 3]], () => replies.push("late"));
    forgotten();
    await Promise.resolve();
    expect(replies).toEqual([null, null]);
    t.setData({ title: "y" });
    expect(t.data()).toEqual({ title: "y" });
  });

  it("answers a selection the Finding stored choices for with their details", async () => {
    const { localTransport } = await import("../src/dashboard/local_transport");
    const choices = { '"income"': { flips: [{ a: 1 }] }, null: { flips: null } };
    const t = localTransport({}, { value: null, details: { flips: null }, choices });
    t.request("income", () => undefined);
    await Promise.resolve();
    expect(t.selection()).toEqual({ value: "income", details: { flips: [{ a: 1 }] } });
    t.request("age", () => undefined); // not stored: no details
    await Promise.resolve();
    expect(t.selection()).toEqual({ value: "age", details: {} });
  });
});

describe("endpoint audit form", () => {
  it("reads variables as name: values lines and refuses bad ones with the line", async () => {
    const { readVariables, placeholders } = await import("../src/dashboard/pages/endpoint");
    expect(readVariables("name: Ana, Bo\n\nincome: low , high")).toEqual({ name: ["Ana", "Bo"], income: ["low", "high"] });
    expect(readVariables("name Ana, Bo")).toMatch(/line 1: give "name: value/);
    expect(readVariables("name: Ana")).toMatch(/line 1: name needs at least two values/);
    expect(readVariables("name: a, b\nname: c, d")).toMatch(/line 2: name is given twice/);
    expect(readVariables("2x: a, b")).toMatch(/not a variable name/);
    expect(readVariables("  ")).toBe("give at least one variable");
    expect(placeholders("Applicant {name}, income {income}; {name} again, {{literal}}")).toEqual(["name", "income"]);
  });
});

describe("sign-in link", () => {
  it("reads the token from the fragment only", async () => {
    const { tokenFromHash } = await import("../src/dashboard/api");
    expect(tokenFromHash("#token=gbx_abc")).toBe("gbx_abc");
    expect(tokenFromHash("#other=1&token=gbx_x%2By")).toBe("gbx_x+y");
    expect(tokenFromHash("")).toBeNull();
    expect(tokenFromHash("#token=")).toBeNull();
  });
});

describe("model upload form", () => {
  const file = (name: string) => new File([new Uint8Array([1, 2, 3])], name);
  it("sends an ONNX file without a card, and its name", () => {
    const body = uploadBody(file("net.onnx"), " loans net ", "");
    expect(body).toBeInstanceOf(FormData);
    const form = body as FormData;
    expect((form.get("file") as File).name).toBe("net.onnx");
    expect(form.get("name")).toBe("loans net");
    expect(form.get("card")).toBeNull();
  });
  it("asks for the architecture card of a safetensors file", () => {
    expect(uploadBody(file("w.safetensors"), "", "")).toMatch(/architecture card/);
    const ok = uploadBody(file("w.safetensors"), "", '{"architecture": "torch.nn:Linear"}') as FormData;
    expect(JSON.parse(ok.get("card") as string)).toEqual({ architecture: "torch.nn:Linear" });
  });
  it("names what is wrong before sending", () => {
    expect(uploadBody(null, "", "")).toBe("choose a model file");
    expect(uploadBody(file("model.pkl"), "", "")).toMatch(/ONNX or TorchScript/);
    expect(uploadBody(file("net.onnx"), "", "{oops")).toMatch(/not JSON/);
    expect(uploadBody(file("net.onnx"), "", "[1]")).toMatch(/JSON object/);
  });
});

describe("project page", () => {
  it("lists a model's inputs with their units, or its task", () => {
    const base = { id: "m", name: "gas", format: "demo", created_at: "2026-12-07T10:00:00Z" };
    const spec = { names: ["n", "T"], low: [1, 250], high: [2, 350], units: ["mol", null] };
    expect(modelInputs({ ...base, card: { spec } })).toBe("n [mol], T");
    expect(modelInputs({ ...base, card: { task: "next_token_prediction" } })).toBe("next_token_prediction");
  });
});

describe("distill budget", () => {
  it("is generations, a time limit or the most rules", () => {
    expect(budgetParams("math", "generations", "60")).toEqual({ generations: 60 });
    expect(budgetParams("math", "time_limit", "2.5")).toEqual({ time_limit: 2.5 });
    expect(budgetParams("logic", "time_limit", "16")).toEqual({ max_leaves: 16 });
  });
  it("names what is wrong", () => {
    expect(budgetParams("math", "generations", "")).toMatch(/positive number/);
    expect(budgetParams("math", "generations", "1.5")).toMatch(/whole number/);
    expect(budgetParams("math", "time_limit", "7200")).toMatch(/3600/);
    expect(budgetParams("logic", "generations", "1")).toMatch(/from 2/);
  });
});

describe("jobs list", () => {
  it("puts live jobs first, then the newest", () => {
    const job = (id: string, state: string, created_at: string) => ({
      id, project_id: "p", kind: "math", state, error: null, created_at, progress: {},
    });
    const rows = [
      job("a", "done", "2026-12-07T08:00:00Z"),
      job("b", "running", "2026-12-07T07:00:00Z"),
      job("c", "failed", "2026-12-07T09:00:00Z"),
      job("d", "queued", "2026-12-07T09:30:00Z"),
    ];
    expect(jobOrder(rows).map((j) => j.id)).toEqual(["d", "b", "c", "a"]);
  });
});
