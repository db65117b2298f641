"""Math mode vs gplearn on known laws, each first learned by an MLP teacher; logic mode on the loan demo.

For every law in ``symbolic_laws.LAWS`` an MLP teacher is trained (seeded, cached in
``benchmarks/.cache``). GlassBox distils it (``glassbox.distill``, default settings, a time budget
per law); gplearn's SymbolicRegressor runs on the same probes (the training split GlassBox starts
from) in the same process. Printed per law and in total: exact recovery (``symbolic_laws.recovered``),
R² to the teacher and to the true law on 2,000 fresh inputs, complexity (expression nodes), wall time.

    python benchmarks/bench_symbolic.py [--time 60] [--laws square_law,gravity] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import sympy
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))

from symbolic_laws import LAWS, Law, recovered

import glassbox
from glassbox_jupyter.demos.architectures import ScaledMLP
from glassbox_jupyter.demos.training.common import box_standardisation, fit, sample_box, seed_everything
from glassbox_jupyter.symbolic.expression import complexity, evaluate, input_symbols

CACHE = Path(__file__).resolve().parent / ".cache"
GPLEARN_FUNCTIONS = ("add", "sub", "mul", "div", "sqrt", "log", "sin", "cos")


def held_out_rows(law: Law, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The 1,000 rows :func:`teacher_for` samples but does not train on, with the law's outputs: the test split
    a user of the network would hold (math mode's ``held_out``, which measures the teacher's error floor)."""
    low, high = [lo for _, lo, _ in law.inputs], [hi for _, _, hi in law.inputs]
    X = sample_box(np.random.default_rng(seed), low, high, 5000)  # the same draw as teacher_for's
    return X[4000:], law(X[4000:])


def teacher_for(law: Law, seed: int = 0, steps: int = 2500) -> tuple[glassbox.Teacher, float]:
    """An MLP trained on the law (cached); returns it and its held-out R² against the law."""
    from safetensors.torch import load_file, save_file

    low, high = [lo for _, lo, _ in law.inputs], [hi for _, _, hi in law.inputs]
    rng = np.random.default_rng(seed)
    X = sample_box(rng, low, high, 5000)
    y = law(X)
    shift, scale = box_standardisation(low, high)
    model = ScaledMLP(
        n_inputs=len(low),
        hidden=[64, 64],
        input_shift=shift,
        input_scale=scale,
        output_shift=[float(y.mean())],
        output_scale=[float(y.std())],
    )
    path = CACHE / f"{law.name}-{seed}-{steps}.safetensors"
    if path.exists():
        model.load_state_dict(load_file(str(path)))
    else:
        seed_everything(seed)
        fit(model, X[:4000], y[:4000, None], steps=steps, y_scale=[float(y.std())])
        CACHE.mkdir(exist_ok=True)
        save_file({k: v.contiguous() for k, v in model.state_dict().items()}, str(path))
    torch.set_num_threads(2)
    spec = glassbox.InputSpec(names=law.names, low=low, high=high)
    teacher = glassbox.Teacher(model, spec, name=law.name)
    guess = teacher.predict(X[4000:])
    r2 = 1 - np.sum((y[4000:] - guess) ** 2) / np.sum((y[4000:] - y[4000:].mean()) ** 2)
    return teacher, float(r2)


def gplearn_to_sympy(program: list, symbols: list[sympy.Symbol]) -> sympy.Expr:
    """gplearn's prefix program as sympy (protected operators written as their usual forms)."""
    ops = {
        "add": lambda a, b: a + b,
        "sub": lambda a, b: a - b,
        "mul": lambda a, b: a * b,
        "div": lambda a, b: a / b,
        "sqrt": lambda a: sympy.sqrt(sympy.Abs(a)),
        "log": lambda a: sympy.log(sympy.Abs(a)),
        "sin": sympy.sin,
        "cos": sympy.cos,
        "neg": lambda a: -a,
        "inv": lambda a: 1 / a,
        "abs": sympy.Abs,
    }
    position = 0

    def build() -> sympy.Expr:
        nonlocal position
        node = program[position]
        position += 1
        if isinstance(node, (int, np.integer)):
            return symbols[int(node)]
        if isinstance(node, float):
            return sympy.Float(node)
        return ops[node.name](*[build() for _ in range(node.arity)])

    return build()


def score(expr_internal: sympy.Expr, X: np.ndarray, teacher_y: np.ndarray, truth: np.ndarray) -> tuple[float, float]:
    guess = evaluate(expr_internal, X)
    if not np.all(np.isfinite(guess)):
        return float("nan"), float("nan")

    def r2(target: np.ndarray) -> float:
        return float(1 - np.sum((target - guess) ** 2) / np.sum((target - target.mean()) ** 2))

    return r2(teacher_y), r2(truth)


def run_law(law: Law, time_limit: float, seed: int) -> dict:
    teacher, teacher_r2 = teacher_for(law, seed)
    internal = input_symbols(len(law.inputs))
    by_name = dict(zip(law.names, internal))
    fresh = glassbox.Probe(teacher, n=2000, method="uniform", seed=99).run().X
    teacher_y, truth = teacher.predict(fresh), law(fresh)
    row = {"law": law.name, "inputs": len(law.inputs), "truth": law.formula, "teacher_r2_vs_law": teacher_r2}

    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        finding = glassbox.distill(teacher, time_limit=time_limit, seed=seed, live=False)
    ours_seconds = time.perf_counter() - start
    best = finding.best
    r2_teacher, r2_truth = score(best.expr, fresh, teacher_y, truth)
    row["glassbox"] = {
        "equation": best.text,
        "recovered": recovered(best.sympy, law.expr),
        "r2_teacher": r2_teacher,
        "r2_law": r2_truth,
        "complexity": best.complexity,
        "seconds": ours_seconds,
        "rounds": len(finding.log.rounds),
    }

    from gplearn.genetic import SymbolicRegressor

    probes = glassbox.Probe(teacher, n=2000, method="sobol", seed=seed).run()
    train, _, _ = probes.split3(seed)  # the split GlassBox searches on
    start = time.perf_counter()
    regressor = SymbolicRegressor(
        population_size=2000,
        generations=25,
        function_set=GPLEARN_FUNCTIONS,
        parsimony_coefficient=0.001,
        random_state=seed,
        n_jobs=1,
    ).fit(train.X, train.y[:, 0])
    gp_seconds = time.perf_counter() - start
    gp_internal = gplearn_to_sympy(regressor._program.program, internal)
    gp_named = gp_internal.xreplace({v: sympy.Symbol(k, real=True) for k, v in by_name.items()})
    r2_teacher, r2_truth = score(gp_internal, fresh, teacher_y, truth)
    row["gplearn"] = {
        "equation": sympy.sstr(gp_named, full_prec=False)[:120],
        "recovered": recovered(gp_named, law.expr),
        "r2_teacher": r2_teacher,
        "r2_law": r2_truth,
        "complexity": complexity(gp_internal),
        "seconds": gp_seconds,
    }
    return row


def logic_benchmark(seed: int = 0) -> dict:
    """Logic mode on the loan demo: fidelity, leaves and thresholds against the true rules."""
    from sklearn.tree import DecisionTreeClassifier

    teacher = glassbox.demos.load("loan_approval")
    start = time.perf_counter()
    finding = glassbox.distill(teacher, mode="logic", max_leaves=16, seed=seed)
    seconds = time.perf_counter() - start
    found = {(c.feature, c.op): c.threshold for r in finding.rules for c in r.conditions}
    truth = {("credit_score", ">"): 650, ("debt_ratio", "<="): 40, ("income", ">"): 45, ("years_employed", ">"): 5}
    errors = {f"{k[0]} {k[1]} {v}": (abs(found[k] - v) / v if k in found else None) for k, v in truth.items()}
    # peer: a plain scikit-learn tree with the same leaf budget on the same probes, no pruning or rounding
    probes = glassbox.Probe(teacher, n=4000, method="sobol", seed=seed).run()
    train, _, test = probes.split3(seed)
    start = time.perf_counter()
    plain = DecisionTreeClassifier(max_leaf_nodes=16, random_state=seed).fit(train.X, train.y.argmax(1))
    plain_seconds = time.perf_counter() - start
    return {
        "glassbox": {
            "fidelity": finding.fidelity.value,
            "ci": finding.fidelity.ci,
            "leaves": finding.n_leaves,
            "threshold_errors": errors,
            "seconds": seconds,
            "rules": finding.text(),
        },
        "sklearn_tree": {
            "fidelity": float(plain.score(test.X, test.y.argmax(1))),
            "leaves": int(plain.get_n_leaves()),
            "seconds": plain_seconds,
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--time", type=float, default=60, help="GlassBox time budget per law (s)")
    parser.add_argument("--laws", default="", help="comma-separated subset of law names")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path, default=None, help="also write the results here")
    args = parser.parse_args()
    chosen = [law for law in LAWS if not args.laws or law.name in args.laws.split(",")]
    rows = []
    head = f"{'law':<18} {'in':>2} {'MLP R²':>7} | {'GB rec':>6} {'R²(T)':>7} {'R²(law)':>7} {'cx':>3} {'s':>5}"
    print(head + f" | {'gp rec':>6} {'R²(T)':>7} {'R²(law)':>7} {'cx':>3} {'s':>5} | GlassBox equation")
    for law in chosen:
        row = run_law(law, args.time, args.seed)
        rows.append(row)
        ours, peer = row["glassbox"], row["gplearn"]
        print(
            f"{law.name:<18} {row['inputs']:>2} {row['teacher_r2_vs_law']:>7.4f} | "
            f"{'yes' if ours['recovered'] else 'no':>6} "
            f"{ours['r2_teacher']:>7.4f} {ours['r2_law']:>7.4f} {ours['complexity']:>3} {ours['seconds']:>5.1f} | "
            f"{'yes' if peer['recovered'] else 'no':>6} {peer['r2_teacher']:>7.4f} {peer['r2_law']:>7.4f} "
            f"{peer['complexity']:>3} {peer['seconds']:>5.1f} | {ours['equation'][:70]}",
            flush=True,
        )
    ours_rec = sum(r["glassbox"]["recovered"] for r in rows)
    peer_rec = sum(r["gplearn"]["recovered"] for r in rows)
    ours_med = statistics.median(r["glassbox"]["seconds"] for r in rows)
    peer_med = statistics.median(r["gplearn"]["seconds"] for r in rows)
    print(
        f"\nexact recovery: GlassBox {ours_rec}/{len(rows)} ({ours_rec / len(rows):.0%}), "
        + f"gplearn {peer_rec}/{len(rows)}"
        + f" → ratio {ours_rec / max(peer_rec, 1):.1f}× (target ≥ 75% and ≥ 2×)"
    )
    print(
        f"median wall time: GlassBox {ours_med:.1f} s, gplearn {peer_med:.1f} s → {peer_med / ours_med:.2f}× "
        f"(target: GlassBox no slower)"
    )
    logic = logic_benchmark(args.seed)
    g, p = logic["glassbox"], logic["sklearn_tree"]
    print(
        f"\nlogic mode, loan_approval demo: GlassBox agreement {g['fidelity']:.4f} [{g['ci'][0]:.4f}, {g['ci'][1]:.4f}]"
        f" with {g['leaves']} leaves in {g['seconds']:.1f} s; plain sklearn tree (16 leaves, unrounded) "
        f"{p['fidelity']:.4f} with {p['leaves']} leaves (target ≥ 0.97, ≤ 16 leaves)"
    )
    for name, error in g["threshold_errors"].items():
        print(f"  true threshold {name}: {'not found' if error is None else f'off by {error:.1%}'} (target ≤ 5%)")
    if args.json:
        args.json.write_text(json.dumps({"laws": rows, "logic": logic}, indent=2, default=str))


if __name__ == "__main__":
    main()
