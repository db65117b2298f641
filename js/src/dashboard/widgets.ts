// The GlassBox widgets a dashboard page mounts without a kernel: the same specs the notebook
// widgets use, fed a stored live view ({widget, data, selection}) through a local transport.
import { mountWidget } from "../shared/widget";
import type { WidgetSpec } from "../shared/widget";
import { spec as audit_view } from "../widgets/audit_view";
import { spec as circuit_heatmap } from "../widgets/circuit_heatmap";
import { spec as flow_graph_explorer } from "../widgets/flow_graph_explorer";
import { spec as latent_usage_heatmap } from "../widgets/latent_usage_heatmap";
import { spec as neuron_graph_view } from "../widgets/neuron_graph_view";
import { spec as pareto_picker } from "../widgets/pareto_picker";
import { spec as response_view } from "../widgets/response_view";
import { spec as rules_view } from "../widgets/rules_view";
import { localTransport } from "./local_transport";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const SPECS: Record<string, WidgetSpec<any, any>> = {
  audit_view,
  circuit_heatmap,
  flow_graph_explorer,
  latent_usage_heatmap,
  neuron_graph_view,
  pareto_picker,
  response_view,
  rules_view,
};

export interface LiveView {
  widget: string;
  data: unknown;
  selection?: { value?: unknown; details?: unknown };
}

/** Mount the stored live view in `el`; returns the unmount, or null for a widget this page does not know. */
export function mountView(el: HTMLElement, view: LiveView): (() => void) | null {
  const spec = SPECS[view.widget];
  if (!spec) return null;
  return mountWidget(spec, el, localTransport(view.data, view.selection ?? {}));
}

export const WIDGET_NAMES = Object.keys(SPECS);
