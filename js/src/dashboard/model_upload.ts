// Uploading a model file to a project from the distill page: safetensors (with an architecture
// card), ONNX, TorchScript or a torch state dict. The server checks that the file loads before it
// stores it; its refusal (format, missing card, weights that do not fit) is shown beside the form.
import { h } from "../shared/dom";
import { ApiError, call } from "./api";
import type { ModelRow } from "./jobs";
import { errorBox } from "./layout";

export const MODEL_SUFFIXES = [".safetensors", ".onnx", ".torchscript", ".jit", ".pt", ".pth", ".bin", ".ckpt"];

/** The multipart body for POST /projects/{id}/models, or why the form cannot be sent yet.
 *
 * A safetensors file holds weights only, so it needs an architecture card (a JSON object naming the
 * module class); the other formats carry their graph and take an optional card. */
export function uploadBody(file: File | null, name: string, cardText: string): FormData | string {
  if (!file) return "choose a model file";
  const lower = file.name.toLowerCase();
  if (!MODEL_SUFFIXES.some((s) => lower.endsWith(s))) {
    return `${file.name}: the server reads ${MODEL_SUFFIXES.join(", ")}; export the model to ONNX or TorchScript`;
  }
  const body = new FormData();
  body.append("file", file, file.name);
  if (name.trim()) body.append("name", name.trim());
  const text = cardText.trim();
  if (text) {
    let card: unknown;
    try {
      card = JSON.parse(text);
    } catch (err) {
      return `the architecture card is not JSON: ${(err as Error).message}`;
    }
    if (card === null || typeof card !== "object" || Array.isArray(card)) {
      return 'the architecture card must be a JSON object, e.g. {"architecture": "torch.nn:Linear", ...}';
    }
    body.append("card", text);
  } else if (lower.endsWith(".safetensors")) {
    return (
      "a safetensors file holds weights only: give its architecture card, e.g. " +
      '{"architecture": "glassbox_jupyter.demos.architectures:MLP", "architecture_kwargs": {...}}, ' +
      "or upload ONNX or TorchScript"
    );
  }
  return body;
}

/** A collapsible "Upload a model file" form; `uploaded` gets the stored model. */
export function modelUpload(base: string, uploaded: (model: ModelRow) => Promise<void>): HTMLElement {
  const box = h("details", "gb-upload");
  box.append(h("summary", "", "Upload a model file"));
  const file = h("input");
  file.type = "file";
  file.id = "gb-upload-file";
  file.accept = MODEL_SUFFIXES.join(",");
  const fileLabel = h("label", "", "File (safetensors, ONNX, TorchScript)");
  fileLabel.htmlFor = file.id;
  const name = h("input");
  name.id = "gb-upload-name";
  name.placeholder = "the file's name";
  const nameLabel = h("label", "", "Name");
  nameLabel.htmlFor = name.id;
  const card = h("textarea", "gb-textarea");
  card.id = "gb-upload-card";
  card.rows = 2;
  card.placeholder = '{"architecture": "package.module:Class", "architecture_kwargs": {}}';
  const cardLabel = h("label", "", "Architecture card (JSON; needed for safetensors)");
  cardLabel.htmlFor = card.id;
  const send = h("button", "gb-button gb-quiet", "Upload");
  send.type = "button";
  const status = h("div", "gb-status");
  status.setAttribute("aria-live", "polite");
  const row = h("div", "gb-form-row");
  row.append(fileLabel, file, nameLabel, name);
  const body = h("div", "gb-upload-body"); // a <details> does not lay its content out as a grid
  body.append(row, cardLabel, card, send, status);
  box.append(body);
  name.addEventListener("keydown", (event) => {
    if (event.key !== "Enter") return;
    event.preventDefault(); // the box sits in the distill form: Enter uploads instead of starting a job
    send.click();
  });
  send.addEventListener("click", async () => {
    status.replaceChildren();
    const body = uploadBody(file.files?.[0] ?? null, name.value, card.value);
    if (typeof body === "string") {
      status.append(errorBox(body));
      return;
    }
    send.disabled = true;
    try {
      const made = await call<ModelRow>("POST", `${base}/models`, body);
      status.append(h("p", "gb-ok", `Stored ${made.name} (${made.format}); it is chosen above.`));
      file.value = "";
      name.value = "";
      await uploaded(made);
    } catch (err) {
      status.append(errorBox(err instanceof ApiError ? err.message : String(err)));
    } finally {
      send.disabled = false;
    }
  });
  return box;
}
