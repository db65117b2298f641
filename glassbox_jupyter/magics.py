"""``%glassbox``: the notebook front of GlassBox.

``%load_ext glassbox`` registers the line magic. Each subcommand is parsed with IPython's
``magic_arguments``; its result is returned, so ``probes = %glassbox probe teacher`` works.
Defaults are configurable: ``%config GlassboxMagics.n = 500``.

Example (in a notebook):
    %load_ext glassbox
    teacher = glassbox.demos.load("friedman_mlp")
    probes = %glassbox probe teacher --n 2000 --method sobol
    %glassbox response teacher --features x1 x2
    finding = %glassbox distill teacher --mode math --generations 100 --seed 0
    %glassbox audit bank --prompt "Applicant age {age}, income {income}. Decision:" --positive approve \
        --negative deny --vary age=30,50,70 income=low,high --protected age
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, NoReturn, Protocol, TypeAlias

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_cell_magic, magics_class
from IPython.core.magic_arguments import MagicArgumentParser, argument, magic_arguments, parse_argstring
from traitlets import Integer, Unicode
from traitlets.config import Configurable

if TYPE_CHECKING:
    from glassbox_jupyter.audit.finding import AuditFinding
    from glassbox_jupyter.circuits.finding import CircuitFinding
    from glassbox_jupyter.finding.base import Finding
    from glassbox_jupyter.finding.publish import Published
    from glassbox_jupyter.latent.finding import LatentLawsFinding
    from glassbox_jupyter.neurons.finding import NeuronGraphFinding
    from glassbox_jupyter.probe import ProbeSet
    from glassbox_jupyter.report.annex import AnnexIVReport
    from glassbox_jupyter.response import ResponseFinding
    from glassbox_jupyter.rules.finding import RuleFinding
    from glassbox_jupyter.symbolic.finding import SymbolicFinding, SymbolicFindings
    from glassbox_jupyter.teacher.teacher import Teacher
    from glassbox_jupyter.twin.finding import TwinFinding

PROBE_METHODS = ("sobol", "lhs", "uniform", "gaussian", "data")

# What ``%glassbox <subcommand>`` returns (None for --help and for the annex cell magic)
MagicResult: TypeAlias = (
    "ProbeSet | Finding | SymbolicFindings | AnnexIVReport | Published | list[dict[str, Any]] | None"
)


class _Subcommand(Protocol):
    """A ``cmd_*`` method; ``@magic_arguments`` gives it the ``parser`` of its arguments."""

    parser: MagicArgumentParser

    def __call__(self, line: str) -> MagicResult: ...


@magics_class
class GlassboxMagics(Magics, Configurable):
    """The ``%glassbox`` line magic and its subcommands."""

    n = Integer(2000, help="Default number of probe inputs.").tag(config=True)
    method = Unicode("sobol", help="Default probe method (sobol, lhs, uniform, gaussian, data).").tag(config=True)
    seed = Integer(0, help="Default random seed.").tag(config=True)

    def __init__(self, shell: Any = None, **kwargs: Any):
        Configurable.__init__(self, config=shell.config if shell is not None else None)
        Magics.__init__(self, shell=shell, **kwargs)

    # ------------------------------------------------------------------ dispatch
    def _subcommands(self) -> dict[str, _Subcommand]:
        commands: dict[str, _Subcommand] = {}
        for attribute in sorted(dir(type(self))):
            if attribute.startswith("cmd_"):
                command = getattr(self, attribute)
                name = attribute.removeprefix("cmd_")
                command.parser.prog = f"%glassbox {name}"
                commands[name] = command
        return commands

    def usage(self) -> str:
        lines = ["Usage: %glassbox <subcommand> [options]   (%glassbox <subcommand> --help for details)", ""]
        for name, command in self._subcommands().items():
            summary = (command.parser.description or "").strip().splitlines()[0]
            lines.append(f"  {name:<10} {summary}")
        return "\n".join(lines)

    @line_cell_magic
    def glassbox(self, line: str, cell: str | None = None) -> MagicResult:
        """GlassBox: distil, probe and explain models. ``%glassbox --help`` lists subcommands.

        As a cell magic, ``%%glassbox annex 2b`` runs the cell and files it under Annex IV section 2(b).
        """
        name, _, rest = line.strip().partition(" ")
        if cell is not None:
            if name != "annex":
                raise UsageError(f"%%glassbox (cell magic) only takes `annex <section>`, got {name!r}")
            self.annex_cell(rest, cell)
            return None
        if name in ("", "-h", "--help", "help"):
            print(self.usage())
            return None
        commands = self._subcommands()
        if name not in commands:
            import difflib

            close = difflib.get_close_matches(name, list(commands), n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise UsageError(
                f"unknown %glassbox subcommand {name!r}.{hint} Available: {', '.join(commands)}.\n\n{self.usage()}"
            )
        command = commands[name]
        if {"-h", "--help"} & set(rest.split()):
            text = command.parser.format_help().replace("%%", "%")
            print(text.removeprefix("::").strip())
            return None
        return command(rest)

    def _lookup(self, name: str, what: str) -> Any:
        namespace = self.shell.user_ns if self.shell is not None else {}
        if name not in namespace:
            raise UsageError(f"no variable named {name!r} in the notebook; define the {what} first")
        return namespace[name]

    def _teacher(self, name: str, spec_name: str | None) -> Teacher:
        from glassbox_jupyter.teacher.teacher import Teacher, as_teacher

        model = self._lookup(name, "teacher")
        spec = self._lookup(spec_name, "InputSpec") if spec_name else None
        if not isinstance(model, Teacher) and spec is None:
            raise UsageError(
                f"{name!r} is a {type(model).__name__}, not a glassbox.Teacher, so its inputs are "
                "unknown; pass --spec <InputSpec variable> or wrap it: Teacher(model, spec)"
            )
        return as_teacher(model, spec)

    # ------------------------------------------------------------------ subcommands
    @magic_arguments()
    @argument("teacher", help="Variable holding a glassbox.Teacher (or a model, with --spec).")
    @argument("--n", type=int, default=None, help="Number of probe inputs (default: %%config GlassboxMagics.n).")
    @argument("--method", choices=PROBE_METHODS, default=None, help="How to draw inputs.")
    @argument("--seed", type=int, default=None, help="Random seed.")
    @argument("--spec", default=None, help="Variable holding an InputSpec (when the teacher has none).")
    @argument("--progress", action="store_true", help="Show a progress bar.")
    def cmd_probe(self, line: str) -> ProbeSet:
        """Draw inputs from the teacher's spec and query it; returns a ProbeSet."""
        from glassbox_jupyter.probe import Probe

        args = parse_argstring(self.cmd_probe, line)
        teacher = self._teacher(args.teacher, args.spec)
        n = self.n if args.n is None else args.n
        return Probe(
            teacher,
            n=n,
            method=args.method or self.method,
            seed=self.seed if args.seed is None else args.seed,
            progress=args.progress,
        ).run()

    @magic_arguments()
    @argument("teacher", help="Variable holding a glassbox.Teacher (or a model, with --spec).")
    @argument(
        "--features", nargs="+", default=None, help="One or two feature names (default: the two that matter most)."
    )
    @argument("--output", default="0", help="Output name or index.")
    @argument("--probes", default=None, help="Variable holding a ProbeSet to reuse.")
    @argument("--n", type=int, default=None, help="Number of probes when --probes is not given.")
    @argument("--seed", type=int, default=None, help="Random seed.")
    @argument("--spec", default=None, help="Variable holding an InputSpec (when the teacher has none).")
    def cmd_response(self, line: str) -> ResponseFinding:
        """Show the teacher's response over one or two features (live ResponseView); returns the Finding."""
        from glassbox_jupyter.response import response

        args = parse_argstring(self.cmd_response, line)
        teacher = self._teacher(args.teacher, args.spec)
        probes = self._lookup(args.probes, "ProbeSet") if args.probes else None
        output: int | str = int(args.output) if args.output.isdigit() else args.output
        return response(
            teacher,
            probes,
            features=args.features,
            output=output,
            n=self.n if args.n is None else args.n,
            seed=self.seed if args.seed is None else args.seed,
        )

    @magic_arguments()
    @argument("teacher", help="Variable holding a glassbox.Teacher (or a model, with --spec).")
    @argument("--mode", choices=("math", "logic"), default="math", help="Equations (math) or IF/ELSE rules (logic).")
    @argument(
        "--generations",
        type=int,
        default=None,
        help="Math-mode search budget in generations per output (default 100): the same --seed gives the "
        "same equations on any machine.",
    )
    @argument(
        "--time",
        type=float,
        default=None,
        help="Wall-clock limit in seconds instead of --generations (math mode: not reproducible, how far the "
        "search gets depends on the machine; logic mode: bounds threshold rounding, default 60).",
    )
    @argument("--features", default=None, help="Comma-separated inputs to use (math mode), e.g. a,b,c.")
    @argument("--max-leaves", type=int, default=16, help="Leaf budget of the rules (logic mode).")
    @argument("--n", type=int, default=None, help="Number of probe inputs (default: 2000 math, 4000 logic).")
    @argument("--seed", type=int, default=None, help="Random seed (default: %%config GlassboxMagics.seed, 0).")
    @argument(
        "--held-out",
        nargs=2,
        default=None,
        metavar=("X", "Y"),
        help="Variables holding rows the network was not trained on and their true outputs (math mode): the "
        "network's error floor there guides the pick and the structure tests.",
    )
    @argument("--spec", default=None, help="Variable holding an InputSpec (when the teacher has none).")
    def cmd_distill(self, line: str) -> SymbolicFinding | SymbolicFindings | RuleFinding:
        """Distil the teacher into equations or IF/ELSE rules and show the live view; returns the Finding.

        Reproducible by default: the search budget is counted in generations and the seed defaults
        to ``%config GlassboxMagics.seed`` (0), so the same notebook gives the same equation.
        """
        from glassbox_jupyter.distill import distill

        args = parse_argstring(self.cmd_distill, line)
        teacher = self._teacher(args.teacher, args.spec)
        options: dict[str, Any] = {}
        if args.n is not None:
            options["n"] = args.n
        if args.mode == "math" and args.features:
            options["features"] = args.features
        if args.mode == "logic":
            options["max_leaves"] = args.max_leaves
        if args.generations is not None:
            if args.mode != "math":
                raise UsageError("--generations is the math-mode search budget; logic mode takes --time")
            if args.time is not None:
                raise UsageError("give --generations (reproducible) or --time (seconds, not reproducible), not both")
            options["generations"] = args.generations
        if args.held_out is not None:
            if args.mode != "math":
                raise UsageError("--held-out is for math mode (the error floor of equations)")
            options["held_out"] = tuple(self._lookup(name, "held-out rows") for name in args.held_out)
        try:
            return distill(
                teacher,
                mode=args.mode,
                time_limit=args.time,
                seed=self.seed if args.seed is None else args.seed,
                **options,
            )
        except (ValueError, KeyError) as exc:
            raise UsageError(str(exc)) from exc

    @magic_arguments()
    @argument("model", help="Variable holding a TransformerLens HookedTransformer (e.g. glassbox.demos.load('ioi')).")
    @argument("--prompt", nargs="+", required=True, help="The clean prompt (quote it).")
    @argument(
        "--correct", nargs="+", required=True, help="The correct next token, e.g. ' Mary' (quoted, with its space)."
    )
    @argument("--incorrect", nargs="+", required=True, help="The competing token, e.g. ' John'.")
    @argument(
        "--corrupted",
        nargs="+",
        default=None,
        help="A corrupted prompt of equal token length (default: answers swapped).",
    )
    @argument(
        "--method",
        choices=("taylor", "integrated_gradients", "exact"),
        default="integrated_gradients",
        help="Head attribution.",
    )
    def cmd_circuit(self, line: str) -> CircuitFinding:
        """Find the attention heads behind a prediction (CircuitHeatmap); returns the CircuitFinding."""
        from glassbox_jupyter.circuits import CircuitAnalyzer

        args = parse_argstring(self.cmd_circuit, line)
        model = self._lookup(args.model, "model")

        def text(parts: list[str] | None) -> str | None:
            return None if parts is None else _unquote(" ".join(parts))

        try:
            return CircuitAnalyzer(model, method=args.method).analyze(
                text(args.prompt), text(args.correct), text(args.incorrect), text(args.corrupted)
            )
        except (ValueError, TypeError) as exc:
            raise UsageError(str(exc)) from exc

    @magic_arguments()
    @argument(
        "provider",
        help="Variable holding what to audit: a function fn(prompt) -> str | float, an OpenAIProvider / "
        "AnthropicProvider, a HookedTransformer or a model folder path (anything glassbox.as_provider takes).",
    )
    @argument("--prompt", nargs="+", required=True, help="Decision prompt template with {variable} fields (quote it).")
    @argument("--positive", required=True, help="The word of the positive decision, e.g. approve.")
    @argument("--negative", required=True, help="The word of the negative decision, e.g. deny.")
    @argument(
        "--vary",
        nargs="+",
        default=None,
        metavar="NAME=V1,V2",
        help="Context variables and their values, e.g. age=30,50,70 income=low,high.",
    )
    @argument("--variables", default=None, help="Variable holding {name: [values]} (instead of or beside --vary).")
    @argument("--protected", nargs="+", default=None, help="The protected variables (parity is measured over them).")
    @argument(
        "--paraphrases",
        default="default",
        help="'default' (built-in rewordings), 'none', or a variable holding a list of templates.",
    )
    @argument("--n-contexts", type=int, default=40, help="Base contexts (all combinations when there are fewer).")
    @argument("--seed", type=int, default=None, help="Random seed (contexts, retest subset, bootstrap).")
    @argument("--progress", action="store_true", help="Show a progress bar.")
    def cmd_audit(self, line: str) -> AuditFinding:
        """Black-box audit: counterfactual swaps, paraphrases, group parity (AuditFinding view); returns the Finding."""
        from glassbox_jupyter.audit.auditor import BlackBoxAuditor

        args = parse_argstring(self.cmd_audit, line)
        provider = self._lookup(args.provider, "provider")
        variables: dict[str, list[Any]] = {}
        if args.variables:
            given = self._lookup(args.variables, "context variables")
            if not isinstance(given, Mapping):
                raise UsageError(
                    f"--variables {args.variables!r} must hold a dict {{name: [values]}}, not a {type(given).__name__}"
                )
            variables.update({str(k): list(v) for k, v in given.items()})
        for item in args.vary or []:
            name, sep, values = item.partition("=")
            if not sep or not name.strip() or not values.strip():
                raise UsageError(f"--vary takes NAME=V1,V2 pairs, e.g. age=30,50,70; got {item!r}")
            variables[name.strip()] = [v.strip() for v in values.split(",") if v.strip()]
        if not variables:
            raise UsageError("give the context variables: --vary age=30,50,70 income=low,high, or --variables <dict>")
        paraphrases: Any = None
        if args.paraphrases == "none":
            paraphrases = []
        elif args.paraphrases != "default":
            paraphrases = self._lookup(args.paraphrases, "list of paraphrase templates")
        try:
            auditor = BlackBoxAuditor(
                provider, seed=self.seed if args.seed is None else args.seed, progress=args.progress
            )
            return auditor.audit(
                _unquote(" ".join(args.prompt)),
                _unquote(args.positive),
                _unquote(args.negative),
                context_variables=variables,
                protected=args.protected,
                paraphrases=paraphrases,
                n_contexts=args.n_contexts,
            )
        except (ValueError, TypeError) as exc:  # AuditInputError and TemplateError are ValueErrors
            raise UsageError(str(exc)) from exc

    @magic_arguments()
    @argument("model", help="Variable holding a PyTorch classifier (nn.Module or glassbox.Teacher).")
    @argument("X", help="Variable holding the inputs (numpy array or torch tensor).")
    @argument("--layers", required=True, help="Comma-separated layer names, e.g. conv1,conv2,fc1.")
    @argument("--clusters", default="10", help="Clusters per layer: 10, or per layer: conv1=3,fc1=10.")
    @argument("--y", default=None, help="Variable holding the true labels (optional).")
    @argument("--conv", choices=("pooled", "per_filter"), default="pooled", help="How conv layers are clustered.")
    @argument("--tnorm", default="einstein", help="Path fitness t-norm.")
    @argument("--seed", type=int, default=None, help="Random seed.")
    def cmd_twin(self, line: str) -> TwinFinding:
        """Build the readable twin (flow graph of activation clusters; FlowGraphExplorer); returns the Finding."""
        from glassbox_jupyter.twin.build import readable_twin

        args = parse_argstring(self.cmd_twin, line)
        model = self._lookup(args.model, "model")
        X = self._lookup(args.X, "inputs")
        y = self._lookup(args.y, "labels") if args.y else None
        try:
            clusters: Any = int(args.clusters)
        except ValueError:
            try:
                clusters = {k.strip(): int(v) for k, v in (part.split("=") for part in args.clusters.split(","))}
            except ValueError as exc:
                raise UsageError(f"--clusters takes a number or layer=number pairs, got {args.clusters!r}") from exc
        try:
            return readable_twin(
                model,
                X,
                layers=args.layers,
                n_clusters=clusters,
                y=y,
                conv=args.conv,
                tnorm=args.tnorm,
                seed=self.seed if args.seed is None else args.seed,
            )
        except (ValueError, TypeError) as exc:
            raise UsageError(str(exc)) from exc

    @magic_arguments()
    @argument("model", help="Variable holding a HookedTransformer, a Hugging Face model or any nn.Module.")
    @argument("inputs", help="Variable holding the texts (list of str) or the input array/tensor.")
    @argument("--layer", required=True, help="Block index (e.g. 2) or module name (e.g. encoder.layer.3.intermediate).")
    @argument("--tokenizer", default=None, help="Variable holding the tokenizer (Hugging Face models).")
    @argument("--neurons", default=None, help="Top-k by variance (e.g. 64) or comma-separated neuron ids.")
    @argument("--alpha", default=None, help="Graphical-lasso penalty, or 1se (CV, one-SE rule); default: CV.")
    @argument("--pooling", choices=("token", "sequence", "max"), default="token", help="One sample per token or text.")
    @argument("--seed", type=int, default=None, help="Random seed.")
    def cmd_neurons(self, line: str) -> NeuronGraphFinding:
        """Neuron dependency graph of an MLP layer (graphical lasso; NeuronGraphView); returns the Finding."""
        from glassbox_jupyter.neurons.build import neuron_graph

        args = parse_argstring(self.cmd_neurons, line)
        model = self._lookup(args.model, "model")
        inputs = self._lookup(args.inputs, "inputs")
        tokenizer = self._lookup(args.tokenizer, "tokenizer") if args.tokenizer else None
        layer: int | str = int(args.layer) if args.layer.lstrip("-").isdigit() else args.layer
        neurons: Any = None
        if args.neurons:
            try:
                parts = [int(v) for v in args.neurons.split(",") if v.strip()]
            except ValueError as exc:
                raise UsageError(f"--neurons takes a count or comma-separated ids, got {args.neurons!r}") from exc
            neurons = parts[0] if len(parts) == 1 and "," not in args.neurons else parts
        try:
            alpha: float | str | None = args.alpha
            if alpha is not None and alpha != "1se":
                try:
                    alpha = float(alpha)
                except ValueError as exc:
                    raise UsageError(f"--alpha takes a positive number or 1se, got {args.alpha!r}") from exc
            return neuron_graph(
                model,
                inputs,
                layer=layer,
                neurons=neurons,
                alpha=alpha,
                pooling=args.pooling,
                tokenizer=tokenizer,
                seed=self.seed if args.seed is None else args.seed,
            )
        except (ValueError, TypeError) as exc:
            raise UsageError(str(exc)) from exc

    @magic_arguments()
    @argument("encoder", help="Variable holding the encoder (nn.Module or function returning [n, k] latents).")
    @argument("X", help="Variable holding the inputs (2-D numpy array or tensor).")
    @argument("--features", default=None, help="Variable holding the feature names, or comma-separated names.")
    @argument("--generations", type=int, default=None, help="Search generations per latent (reproducible; 100).")
    @argument("--time", type=float, default=None, help="Wall-clock limit per latent in seconds (not reproducible).")
    @argument("--jobs", type=int, default=None, help="Parallel searches on this machine (joblib), e.g. 2.")
    @argument("--client", default=None, help="Variable holding a dask.distributed.Client to fan out to.")
    @argument("--seed", type=int, default=None, help="Random seed.")
    def cmd_latent(self, line: str) -> LatentLawsFinding:
        """One equation per latent of an encoder, and which inputs each uses (LatentUsageHeatmap)."""
        from glassbox_jupyter.latent.laws import latent_laws

        args = parse_argstring(self.cmd_latent, line)
        encoder = self._lookup(args.encoder, "encoder")
        X = self._lookup(args.X, "inputs")
        names: Any = None
        if args.features:
            namespace = self.shell.user_ns if self.shell is not None else {}
            if args.features in namespace:
                names = list(namespace[args.features])
            else:
                names = [n.strip() for n in args.features.split(",") if n.strip()]
        client = self._lookup(args.client, "Dask client") if args.client else None
        try:
            return latent_laws(
                encoder,
                X,
                feature_names=names,
                time_limit=args.time,
                generations=args.generations,
                n_jobs=args.jobs,
                client=client,
                seed=self.seed if args.seed is None else args.seed,
            )
        except (ValueError, TypeError) as exc:
            raise UsageError(str(exc)) from exc

    def annex_cell(self, line: str, cell: str) -> None:
        """Run ``cell`` and mark it for Annex IV section(s) ``line`` (the annotation stays in the .ipynb)."""
        from glassbox_jupyter.report.fields import UnknownSectionError, section_key

        parts = line.split()
        if not parts:
            raise UsageError("%%glassbox annex needs a section, e.g. `%%glassbox annex 2b`")
        try:
            keys = [section_key(part) for part in parts]
        except UnknownSectionError as exc:
            raise UsageError(str(exc)) from exc
        if self.shell is None:
            raise UsageError("%%glassbox annex runs the cell in an IPython shell, and there is none")
        result = self.shell.run_cell(cell, store_history=False, silent=False)
        self.annex_sections = getattr(self, "annex_sections", []) + keys
        if result.error_in_exec is not None:
            raise result.error_in_exec
        return None

    @magic_arguments()
    @argument("sections", nargs="*", help="Section, e.g. 2b (use as a cell magic: %%%%glassbox annex 2b).")
    def cmd_annex(self, line: str) -> NoReturn:
        """Mark a cell for an Annex IV section: `%%glassbox annex 2b` on the first line of the cell."""
        raise UsageError(
            "annex is a cell magic: put `%%glassbox annex 2b` on the first line of the cell whose outputs "
            "belong to section 2(b) (or tag the cell `annex-iv:2b`)"
        )

    @magic_arguments()
    @argument("finding", help="Variable holding a Finding or an AnnexIVReport.")
    @argument("--project", required=True, help="The server project (its name or id).")
    @argument("--server", default=None, help="Server address (default: $GLASSBOX_SERVER).")
    @argument("--title", default=None, help="Title of a published report (default: its model name).")
    def cmd_publish(self, line: str) -> Published:
        """Send a Finding or an Annex IV report to a GlassBox server (token from $GLASSBOX_TOKEN)."""
        from glassbox_jupyter.errors import PublishError
        from glassbox_jupyter.finding.base import Finding
        from glassbox_jupyter.report.annex import AnnexIVReport

        args = parse_argstring(self.cmd_publish, line)
        target = self._lookup(args.finding, "Finding or report")
        try:
            if isinstance(target, AnnexIVReport):
                published = target.publish(args.server, project=args.project, title=args.title)
            elif isinstance(target, Finding):
                published = target.publish(args.server, project=args.project)
            else:
                raise UsageError(
                    f"{args.finding!r} is a {type(target).__name__}: publish a Finding or an AnnexIVReport"
                )
        except PublishError as exc:
            raise UsageError(str(exc)) from exc
        print(f"published {published.what} {published.id} to project {published.project}: {published.url}")
        return published

    @magic_arguments()
    @argument("--to", nargs="+", choices=("html", "pdf", "json"), default=["html"], help="Formats to write.")
    @argument("--notebook", default=None, help="Path of this notebook (default: from the Jupyter session).")
    @argument("--out", default=None, help="Folder for the files (default: beside the notebook).")
    @argument("--include-code", action="store_true", help="Append the code of annotated cells.")
    def cmd_export(self, line: str) -> AnnexIVReport:
        """Write this notebook's Annex IV report (save the notebook first); findings use their live state."""
        import os

        from glassbox_jupyter.finding.live import live_findings
        from glassbox_jupyter.report.export import export_notebook

        args = parse_argstring(self.cmd_export, line)
        namespace = self.shell.user_ns if self.shell is not None else {}
        path = args.notebook or os.environ.get("JPY_SESSION_NAME") or namespace.get("__session__")
        path = path or namespace.get("__vsc_ipynb_file__")
        if not path or not str(path).endswith(".ipynb") or not os.path.isfile(path):
            raise UsageError(
                "cannot tell which notebook this is; pass it: %glassbox export --to pdf --notebook my.ipynb "
                "(and save the notebook first)"
            )
        try:
            result = export_notebook(path, args.to, out=args.out, include_code=args.include_code, live=live_findings())
        except (ValueError, FileNotFoundError, RuntimeError) as exc:
            raise UsageError(str(exc)) from exc
        for kind, written in result.paths.items():
            print(f"{kind}: {written}")
        missing = result.report.missing()
        print(f"{len(missing)} fields still need human input: {', '.join(f.id for f in missing)}")
        return result.report

    @magic_arguments()
    def cmd_demos(self, line: str) -> list[dict[str, Any]]:
        """List the shipped demo models (load one with glassbox.demos.load(name))."""
        from glassbox_jupyter import demos

        parse_argstring(self.cmd_demos, line)
        return demos.list()


def _unquote(text: str) -> str:
    """``text`` without one matching pair of surrounding quotes (IPython keeps them in magic arguments)."""
    quoted = len(text) >= 2 and text[0] == text[-1] and text[0] in "'\""
    return text[1:-1] if quoted else text


def register(ipython: Any) -> GlassboxMagics:
    """Register the magics and make them configurable with ``%config``."""
    magics = GlassboxMagics(shell=ipython)
    ipython.register_magics(magics)
    if magics not in ipython.configurables:
        ipython.configurables.append(magics)
    return magics


def unregister(ipython: Any) -> None:
    ipython.configurables[:] = [c for c in ipython.configurables if not isinstance(c, GlassboxMagics)]
