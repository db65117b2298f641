/** The circuit heat map's side panels: the circuit's faithfulness and one head's attention pattern. */
import { h, messageEl, shareBar } from "../../shared/dom";
import { withMinus } from "../../shared/format";
import { ATTENTION_HINT_TEXT, METRICS, NO_ATTENTION_TEXT, NO_FAITHFULNESS_TEXT, headLabel, numberText, scoreText, signedText, tokenDisplay } from "./data";
import type { Faithfulness, Metric, Norm } from "./data";

/** The head the attention panel shows, and why ("under the mouse", "pinned", ...). */
export interface ShownHead {
  key: string;
  l: number;
  hd: number;
  source: string;
}

/** One metric's row: name, a bar with the CI drawn over it, the number with its CI, an exact/approx. tag. */
function metricRow(key: string, label: string, help: string, m: Metric | null): HTMLDivElement {
  const row = h("div", "gb-faith-row");
  row.dataset.metric = key;
  row.title = `${label}: ${help}`;
  const bar = shareBar(m ? m.value : NaN, "gb-faith-bar", "gb-faith-fill");
  const valueCell = h("span", "gb-faith-value");
  const tag = h("span", "gb-badge gb-faith-tag");
  if (m && Number.isFinite(m.value)) {
    if (m.ci) {
      const clamp = (v: number) => Math.min(1, Math.max(0, v));
      const [a, b] = [clamp(Math.min(...m.ci)), clamp(Math.max(...m.ci))];
      const ci = h("span", "gb-faith-ci-bar");
      ci.style.left = `${(a * 100).toFixed(1)}%`;
      ci.style.width = `${((b - a) * 100).toFixed(1)}%`;
      bar.appendChild(ci);
    }
    valueCell.appendChild(h("span", "gb-faith-number", scoreText(m.value)));
    if (m.ci) valueCell.appendChild(h("span", "gb-ci", ` [${scoreText(m.ci[0])}, ${scoreText(m.ci[1])}]`));
    tag.textContent = m.exact ? "exact" : "approx.";
    tag.classList.add(m.exact ? "gb-exact" : "gb-approx");
    tag.title = m.exact ? "computed exactly (by ablation)" : "an approximation (estimate)";
  } else {
    valueCell.appendChild(h("span", "gb-faith-number", "n/a"));
    tag.hidden = true;
  }
  row.append(h("span", "gb-faith-name", label), bar, valueCell, tag);
  return row;
}

/** Sufficiency, comprehensiveness and F1 of the circuit (or a note while none is known), and the logit difference. */
export function drawFaithfulness(faithBody: HTMLElement, logitEl: HTMLElement, d: Norm, f: Faithfulness | null, busy: boolean): void {
  faithBody.replaceChildren();
  if (!f) faithBody.appendChild(messageEl(busy ? "computing…" : NO_FAITHFULNESS_TEXT, "gb-message gb-faith-empty"));
  else for (const { key, label, help } of METRICS) faithBody.appendChild(metricRow(key, label, help, f[key]));
  const ld = d.logitDiff;
  logitEl.hidden = !ld;
  logitEl.textContent = ld ? `logit diff: clean ${signedText(ld.clean)} · corrupted ${signedText(ld.corrupted)}` : "";
}

/** The attention panel's parts. */
export interface AttentionParts {
  title: HTMLElement;
  note: HTMLElement;
  body: HTMLElement;
}

/** The attention of head `shown` from the last token, one bar per token (the strongest and the query token marked). */
export function drawAttention(p: AttentionParts, d: Norm, shown: ShownHead | null): void {
  p.body.replaceChildren();
  p.title.textContent = shown ? `${headLabel(shown.l, shown.hd)} attention from the last token` : "attention from the last token";
  p.note.textContent = "";
  if (!d.attention || d.attention.size === 0 || !shown) {
    p.body.appendChild(messageEl(!d.attention || d.attention.size === 0 ? NO_ATTENTION_TEXT : ATTENTION_HINT_TEXT));
    return;
  }
  const name = headLabel(shown.l, shown.hd);
  const weights = d.attention.get(shown.key);
  const n = d.tokens.length > 0 ? d.tokens.length : (weights?.length ?? 0);
  const last = n > 0 ? d.tokens[n - 1] : undefined;
  const prompt = d.attentionNote ? ` · ${d.attentionNote}` : "";
  p.note.textContent = `${shown.source}${prompt}${last !== undefined ? ` · query token "${tokenDisplay(last)}"` : ""} · bars on a 0–1 scale`;
  if (!weights) {
    p.body.appendChild(messageEl(`no attention pattern was sent for ${name}`));
    return;
  }
  let argmax = -1;
  for (let i = 0; i < n; i++) if (Number.isFinite(weights[i]) && (argmax < 0 || weights[i] > weights[argmax])) argmax = i;
  const list = h("div", "gb-attention-list");
  list.setAttribute("role", "list");
  list.setAttribute("aria-label", `attention of ${name} from the last token`);
  for (let i = 0; i < n; i++) {
    const tok = d.tokens[i] ?? `#${i}`;
    const w = i < weights.length ? weights[i] : NaN;
    const row = h("div", "gb-attention-bar");
    row.setAttribute("role", "listitem");
    row.dataset.index = String(i);
    if (i === argmax) row.classList.add("gb-attention-max");
    if (i === n - 1) row.classList.add("gb-query-token");
    row.title = `"${tok}" (position ${i}): ${numberText(w)}`;
    row.append(h("span", "gb-token", tokenDisplay(tok)), shareBar(w), h("span", "gb-bar-value", Number.isFinite(w) ? withMinus(w.toFixed(2)) : "n/a"));
    list.appendChild(row);
  }
  p.body.appendChild(list);
  if (weights.length !== n && d.tokens.length > 0) p.body.appendChild(messageEl(`${weights.length} weights for ${n} tokens`, "gb-message gb-warning"));
}

/** A bar from a centre line: right for a positive value, left for a negative one, scaled by `limit`. */
function signedBar(v: number, limit: number): HTMLSpanElement {
  const bar = h("span", "gb-bar-track gb-signed-track");
  bar.setAttribute("aria-hidden", "true");
  const fill = h("span", `gb-bar-fill gb-signed-fill ${v < 0 ? "gb-negative" : "gb-positive"}`);
  const share = Number.isFinite(v) && limit > 0 ? Math.min(1, Math.abs(v) / limit) : 0;
  fill.style.width = `${(share * 50).toFixed(1)}%`;
  fill.style.left = v < 0 ? `${(50 - share * 50).toFixed(1)}%` : "50%";
  bar.appendChild(fill);
  return bar;
}

/** The logit lens: the logit difference read off the residual stream after each layer (a bar per read-out). */
export function drawLens(body: HTMLElement, note: HTMLElement, d: Norm): void {
  body.replaceChildren();
  note.textContent = d.lens?.measures ?? "";
  if (!d.lens) {
    body.appendChild(messageEl("no logit lens was sent"));
    return;
  }
  const limit = Math.max(0, ...d.lens.byLayer.filter(Number.isFinite).map(Math.abs));
  const list = h("div", "gb-lens-list");
  list.setAttribute("role", "list");
  list.setAttribute("aria-label", "logit difference after each layer");
  d.lens.byLayer.forEach((v, i) => {
    const row = h("div", "gb-lens-row");
    row.setAttribute("role", "listitem");
    row.title = `${d.lens!.labels[i]}: logit diff ${signedText(v)}`;
    row.append(h("span", "gb-lens-label", d.lens!.labels[i]), signedBar(v, limit), h("span", "gb-bar-value", signedText(v)));
    list.appendChild(row);
  });
  body.appendChild(list);
}
