import pytest

from glassbox_jupyter.demos.topics import load_topics
from glassbox_jupyter.neurons.errors import EmptyTextError, TopicsError
from glassbox_jupyter.neurons.topics import compare_neuron_graphs
from glassbox_jupyter.testing import check_finding
from tests.examples import chained_inputs, identity_layer


@pytest.fixture(scope="module")
def flipped():
    topics = {"up": chained_inputs(1.0, 400, 2), "down": chained_inputs(-1.0, 400, 3)}
    return compare_neuron_graphs(topics, identity_layer(), layer="0", n_bootstrap=20, seed=0)


def test_the_flipped_edge_is_the_only_stable_difference(flipped):
    c = flipped
    assert c.kind == "neuron_graph_comparison" and c.topics == ["up", "down"]
    assert [(r.source, r.target) for r in c.differences.itertuples()] == [(0, 2)]
    row = c.differences.iloc[0]
    assert row.higher == "up" and row.lower == "down" and row.stability == 1.0
    assert row["rho[up]"] > 0.5 and row["rho[down]"] < -0.5
    edge = c.difference.edges[0, 2]
    assert edge["weight"] == pytest.approx(edge["weights"]["up"] - edge["weights"]["down"])
    assert c.graphs["up"].graph.edges[0, 2]["stability"] == 1.0
    view = c.view_data()
    assert view["edge_set"] == "difference" and set(view["edge_sets"]) == {"up", "down", "difference"}
    assert view["edges"] == view["edge_sets"]["difference"] and len(view["edges"]) == 1
    assert {n["neuron"] for n in view["nodes"]} == {0, 1, 2, 3}
    check_finding(c, selection=2)


def test_the_view_says_what_a_difference_compares(flipped):
    """ρ(up) − ρ(down) > 0 on the 0–2 edge: blue, "higher for up than for down", and the edge says so too."""
    view = flipped.view_data()
    info = view["edge_set_info"]
    assert info["difference"] == {
        "weight": "ρ(up) − ρ(down)",
        "positive": "partial correlation higher for up than for down",
        "negative": "partial correlation higher for down than for up",
    }
    assert info["up"]["positive"] == "positive partial correlation for up"
    assert "blue where the partial correlation is higher for up than for down" in view["caption"]
    (edge,) = view["edge_sets"]["difference"]
    assert edge["weight"] > 0 and edge["higher"] == "up" and edge["lower"] == "down"
    assert edge["weight"] == pytest.approx(edge["weights"]["up"] - edge["weights"]["down"])
    assert "stronger" not in view["caption"] and "higher for up than for down" in flipped.to_svg()


def test_three_topics_get_one_signed_set_per_pair():
    topics = {
        "up": chained_inputs(1.0, 300, 2),
        "down": chained_inputs(-1.0, 300, 3),
        "flat": chained_inputs(0.0, 300, 4),
    }
    c = compare_neuron_graphs(topics, identity_layer(), layer="0", n_bootstrap=10, seed=0)
    view = c.view_data()
    assert list(view["edge_sets"]) == ["up", "down", "flat", "difference", "up − down", "up − flat", "down − flat"]
    # the difference graph gives the largest gap, never negative: no red in its legend, which says how to read it
    assert view["edge_set_info"]["difference"]["negative"] is None
    assert all(e["weight"] >= 0 for e in view["edge_sets"]["difference"])
    assert view["edge_set_info"]["up − flat"]["positive"] == "partial correlation higher for up than for flat"
    for name in ("up − down", "up − flat", "down − flat"):
        a, b = name.split(" − ")
        for e in view["edge_sets"][name]:
            assert e["weight"] == pytest.approx(e["weights"][a] - e["weights"][b])
            assert (e["higher"], e["lower"]) == ((a, b) if e["weight"] > 0 else (b, a))
            assert abs(e["weight"]) >= 0.1 and e["stability"] >= 0.8
    edge = next(e for e in view["edge_sets"]["up − down"] if {e["source"], e["target"]} == {"n0", "n2"})
    assert edge["weight"] > 1.0 and edge["higher"] == "up"
    assert any({e["source"], e["target"]} == {"n0", "n2"} and e["weight"] < 0 for e in view["edge_sets"]["down − flat"])
    assert view["edge_sets"]["up − down"] == c.pair_difference_edges("up", "down")


def test_fan_out_gives_identical_results_serially_and_in_processes():
    topics = {"up": chained_inputs(1.0, 200, 7), "down": chained_inputs(-1.0, 200, 8)}
    serial = compare_neuron_graphs(topics, identity_layer(), layer="0", n_bootstrap=6, seed=4)
    local = compare_neuron_graphs(topics, identity_layer(), layer="0", n_bootstrap=6, seed=4, n_jobs=2)
    assert serial.differences.equals(local.differences)
    for topic in topics:
        a = sorted(serial.graphs[topic].graph.edges(data="stability"))
        assert a == sorted(local.graphs[topic].graph.edges(data="stability"))


def test_topic_texts_on_minilm(minilm_folder):
    corpus = load_topics()
    topics = {"cooking": corpus["cooking"][:16], "astronomy": corpus["astronomy"][:16]}
    c = compare_neuron_graphs(topics, minilm_folder, layer=2, neurons=16, n_bootstrap=8, seed=0)
    assert set(c.graphs) == {"cooking", "astronomy"}
    assert c.graphs["cooking"].neuron_ids == c.graphs["astronomy"].neuron_ids  # chosen once, on both topics
    neuron = c.ids[0]
    inputs = c.select_neuron(neuron)
    assert {i["topic"] for i in inputs} <= {"cooking", "astronomy"} and inputs[0]["label"].split("[")[0] in topics
    assert all(0 <= d["stability"] <= 1 for _, _, d in c.graphs["cooking"].graph.edges(data=True))
    check_finding(c, selection=c.ids[1])


def test_bad_topics_are_clear_errors(hooked):
    with pytest.raises(TopicsError, match="at least two topics"):
        compare_neuron_graphs({"only": ["the sun"]}, hooked, layer=0)
    with pytest.raises(TopicsError, match="topic 'b' has no texts"):
        compare_neuron_graphs({"a": ["the sun"], "b": []}, hooked, layer=0)
    with pytest.raises(EmptyTextError, match="topic 'b', text 1 is empty"):
        compare_neuron_graphs({"a": ["the sun"], "b": ["the moon", " "]}, hooked, layer=0)
    with pytest.raises(EmptyTextError, match=r"topic 'b', text 0: text\[1\] 'zebra' tokenises to no token"):
        compare_neuron_graphs({"a": ["the sun"], "b": ["zebra"]}, hooked, layer=0)
    with pytest.raises(TopicsError, match="must be a dict"):
        compare_neuron_graphs([["the sun"], ["the moon"]], hooked, layer=0)


def test_demo_topic_corpus():
    topics = load_topics()
    assert sorted(topics) == ["astronomy", "cooking", "finance"]
    for texts in topics.values():
        assert len(texts) >= 60 and len(set(texts)) == len(texts) and all(t.strip() for t in texts)


@pytest.mark.slow
def test_dask_cluster_gives_the_same_comparison():
    distributed = pytest.importorskip("distributed")
    topics = {"up": chained_inputs(1.0, 200, 7), "down": chained_inputs(-1.0, 200, 8)}
    local = compare_neuron_graphs(topics, identity_layer(), layer="0", n_bootstrap=4, seed=4)
    with (
        distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster,
        distributed.Client(cluster) as client,
    ):
        remote = compare_neuron_graphs(topics, identity_layer(), layer="0", n_bootstrap=4, seed=4, client=client)
    assert remote.differences.equals(local.differences)
    assert remote.artifact_dict()["graphs"] == local.artifact_dict()["graphs"]


def test_a_click_in_the_comparison_view_lists_the_top_inputs_by_topic(flipped):
    c = flipped
    view, other = c.widget(), c.widget()
    try:
        reply = view.request_selection(2)  # what a click on neuron #2 asks for
        assert reply == {"id": view._request["id"], "error": None}
        assert c.selected_neuron == view.selected_neuron == other.selected_neuron == 2
        top = view._selection["details"]["top_inputs"]
        assert top == c.selection_details()["top_inputs"] and other._selection == view._selection
        assert {t["topic"] for t in top} <= {"up", "down"} and len(top) == 10
        activations = [t["activation"] for t in top]
        assert activations == sorted(activations, reverse=True)
        refused = view.request_selection(7)
        assert refused["error"].startswith("neuron 7 is not in this graph; it has 4 neurons with ids 0–3")
        assert c.selected_neuron == 2 and view._selection["value"] == 2
        c.select_neuron(None)  # a change made in Python reaches both views
        assert view._selection == other._selection == {"value": None, "details": {"top_inputs": []}}
    finally:
        view.close()
        other.close()
