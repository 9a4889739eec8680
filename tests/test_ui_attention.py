"""Issue 5 in the window: step by step, head view, head roles + timeline, ViT, architecture, embeddings.

Canned snapshots for the views that only draw; a real tiny model (and the real worker thread) where the
numbers must be the model's own.
"""

import itertools

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QEvent, QPoint, Qt
from PySide6.QtGui import QFont, QHelpEvent, QImage, QPainterPath, QPainterPathStroker
from PySide6.QtWidgets import (
    QApplication,
    QGraphicsLineItem,
    QGraphicsPathItem,
    QGraphicsRectItem,
    QGraphicsSimpleTextItem,
    QLabel,
    QSlider,
    QToolTip,
    QWidget,
)

from playground.core.spec import make_spec
from playground.training.events import AttentionSnapshot
from playground.ui import roles_panel
from playground.ui.architecture_view import ArchitectureView
from playground.ui.attention_grid import weight_colours
from playground.ui.head_view import FADED, HEADER_H, LEGEND_ROW_H, HeadViewPanel
from playground.ui.roles_panel import RolesPanel

TINY = {
    "name": "tiny-reverse",
    "model": {"family": "encoder", "n_embd": 32, "n_head": 2, "n_layer": 2, "d_ff": 64, "block_size": 8},
    "data": {"name": "reverse"},
    "train": {"batch_size": 8, "lr": 3e-3, "warmup_steps": 2, "max_steps": 400, "eval_interval": 50,
              "eval_batches": 1, "snapshot_interval": 2, "checkpoint_interval": 10_000, "device": "cpu",
              "compile": "off"},
}
WAIT_MS = 30_000


def snapshot(step=10, layers=2, heads=3, T=6, seed=0):
    rng = np.random.default_rng(seed)
    w = rng.random((layers, heads, T, T)).astype(np.float32) ** 4
    w /= w.sum(-1, keepdims=True)
    return AttentionSnapshot(step=step, weights=w, labels=[f"t{i}" for i in range(T)])


def previous_token_snapshot(step, T=6):
    """Layer 1 head 2 is a perfect previous-token head; everything else is uniform."""
    w = np.full((2, 2, T, T), 1.0 / T, dtype=np.float32)
    prev = np.zeros((T, T), dtype=np.float32)
    prev[0, 0] = 1.0
    prev[np.arange(1, T), np.arange(T - 1)] = 1.0
    w[0, 1] = prev
    return AttentionSnapshot(step=step, weights=w, labels=[f"t{i}" for i in range(T)])


# ----- head view ------------------------------------------------------------------------------------
def test_head_view_hovering_a_token_highlights_its_lines(qtbot):
    panel = HeadViewPanel()
    qtbot.addWidget(panel)
    panel.resize(700, 400)
    panel.show()
    snap = snapshot()
    panel.set_attention(snap.weights, snap.labels, snap.step)
    lines = panel.lines
    qtbot.wait(20)
    assert panel.layerCombo.count() == 2 and panel.headsCombo.count() == 4  # all heads + 3
    before = lines.grab().toImage()
    h, i, j = np.unravel_index(np.argmax(snap.weights[0]), snap.weights[0].shape)
    other = (i + 1) % 6
    plain = lines.line_opacity(h, i, j)
    assert plain > 0
    qtbot.mouseMove(lines, lines.token_pos("query", i).toPoint())
    qtbot.wait(20)
    assert lines.hovered == ("query", i)
    assert lines.line_opacity(h, i, j) == pytest.approx(plain)  # the hovered token's lines keep their strength
    k = int(np.argmax(snap.weights[0, h, other]))
    assert lines.line_opacity(h, other, k) <= FADED  # every other line fades
    assert lines.grab().toImage() != before
    assert f"'t{i}' (#{i}) looks most at" in panel.readout.text()
    top = int(np.argmax(snap.weights[0][lines.chosen_heads()].mean(0)[i]))  # by its position too (QA: "'␣' 0.67, '␣'
    assert f"looks most at 't{top}' (#{top}) " in panel.readout.text()  # 0.17" did not say which spaces)
    # the key side: who looks at this token
    qtbot.mouseMove(lines, lines.token_pos("key", j).toPoint())
    qtbot.wait(20)
    assert lines.hovered == ("key", j) and "is looked at most by" in panel.readout.text()
    # Resting there, no teaching tooltip pops up over the lines being read (QA, lesson 19.2 step 8); over the title
    # and legend it teaches.
    def rest_at(point: QPoint) -> bool:
        QToolTip.hideText()
        qtbot.waitUntil(lambda: not QToolTip.isVisible(), timeout=2000)
        QApplication.sendEvent(lines, QHelpEvent(QEvent.Type.ToolTip, point, lines.mapToGlobal(point)))
        return QToolTip.isVisible() and "Head view" in QToolTip.text()

    assert not rest_at(lines.token_pos("key", j).toPoint())
    assert not rest_at(QPoint(lines.width() // 2, int(lines.token_pos("key", j).y())))  # among the lines
    assert rest_at(QPoint(lines.width() // 2, 4))
    QToolTip.hideText()
    # one head only, in another layer
    panel.select(1, 2)
    assert (lines.layer, lines.heads, lines.chosen_heads()) == (1, 2, [2])


def test_a_head_chosen_before_the_head_view_has_drawn_is_the_one_it_draws(qtbot):
    """QA: lesson 19.2 step 7 has the class pick layer 2, head 1; step 8, "the same head as lines", showed layer 1 and
    all heads: the head view had not drawn yet, so it had no layers to pick from."""
    panel = HeadViewPanel()
    qtbot.addWidget(panel)
    panel.show()
    panel.select(1, 0)
    snap = snapshot()
    panel.set_attention(snap.weights, snap.labels, snap.step)
    assert (panel.layerCombo.currentText(), panel.headsCombo.currentText()) == ("layer 2", "head 1")
    assert (panel.lines.layer, panel.lines.chosen_heads()) == (1, [0])
    panel.headsCombo.setCurrentIndex(0)  # the user's own pick afterwards stays through the next snapshot
    panel.set_attention(snap.weights, snap.labels, snap.step + 1)
    assert panel.lines.chosen_heads() == [0, 1, 2]
    # A head asked for a model with more layers, then the user's own pick in the view before its weights came: the
    # user's (review: the waiting one overwrote it).
    panel.select(3, 1)
    panel.layerCombo.activated.emit(0)  # as a click on "layer 1" sends it
    deeper = np.concatenate([snap.weights, snap.weights], axis=0)
    panel.set_attention(deeper, snap.labels, snap.step + 2)
    assert panel.layerCombo.currentText() != "layer 4"


def swatch_colours(image, y):
    """The colours of the runs at least 8 px long in row `y` of `image`: the legend's swatches (text strokes are
    thinner, and anti-aliased)."""
    row = [image.pixelColor(x, y).name() for x in range(image.width())]
    runs, start = [], 0
    for x in range(1, len(row) + 1):
        if x == len(row) or row[x] != row[start]:
            if x - start >= 8 and row[start] != "#ffffff":
                runs.append(row[start])
            start = x
    return runs


def twelve_heads(qtbot, width: int) -> HeadViewPanel:
    """A head view `width` px wide, shown, drawing all 12 heads of a BERT-sized layer."""
    panel = HeadViewPanel()
    qtbot.addWidget(panel)
    panel.resize(width, 500)
    panel.show()
    snap = snapshot(heads=12)
    panel.set_attention(snap.weights, snap.labels, snap.step)
    return panel


def test_all_twelve_heads_are_drawn_in_colours_of_their_own(qtbot):
    """QA: the all-heads head view of the 12-head pretrained BERT drew heads 11 and 12 as heads 1 and 2."""
    panel = twelve_heads(qtbot, 1200)
    lines = panel.lines
    image = lines.grab().toImage()
    k = lines.header_h / HEADER_H  # the legend's swatches are 12 x 12 px from y = 28 (scaled with the header)
    swatches = swatch_colours(image, round(34 * k * image.devicePixelRatio()))
    assert len(swatches) == 12 and len(set(swatches)) == 12


def test_a_legend_wider_than_the_view_wraps_and_the_tokens_start_below_it_on_screen_and_in_the_export(qtbot,
                                                                                                      tmp_path):
    """QA: the 12-head BERT's legend ran off the view at 1280x720 ("head 7  he"), and so did its export."""
    panel = twelve_heads(qtbot, 520)
    lines = panel.lines
    k = lines.header_h / HEADER_H
    first_row = round(34 * k)  # the swatches' middle (12 px from y = 28, scaled with the header)
    rows = [first_row + round(i * LEGEND_ROW_H * k) for i in range(4)]

    def legend_colours(image, scale):
        return [c for y in rows for c in swatch_colours(image, round(y * scale))]

    on_screen = legend_colours(lines.grab().toImage(), lines.devicePixelRatio())
    assert len(on_screen) == 12 and len(set(on_screen)) == 12  # every head, in rows
    wrapped = lines.token_pos("query", 0).y()
    assert wrapped > rows[1] + 6 * k  # the first token below the legend's second row
    panel.export(str(tmp_path / "lines.png"))
    exported = legend_colours(QImage(str(tmp_path / "lines.png")), 2)  # (exported at twice the size)
    assert len(exported) == 12 and len(set(exported)) == 12
    panel.headsCombo.setCurrentIndex(3)  # one head: one row, the tokens move back up
    assert lines.token_pos("query", 0).y() < wrapped - LEGEND_ROW_H * k / 2


def test_head_view_exports_png_and_svg(qtbot, tmp_path):
    panel = HeadViewPanel()
    qtbot.addWidget(panel)
    snap = snapshot()
    panel.set_attention(snap.weights, snap.labels, snap.step)
    panel.export(str(tmp_path / "lines.png"))
    panel.export(str(tmp_path / "lines.svg"))
    assert Image.open(tmp_path / "lines.png").size[0] > 300
    svg = (tmp_path / "lines.svg").read_text()
    assert "<svg" in svg and "t5" in svg


# ----- roles and timeline ---------------------------------------------------------------------------
def shown_roles(qtbot) -> RolesPanel:
    """A roles panel on screen: it draws its table and caption only while shown."""
    panel = RolesPanel()
    qtbot.addWidget(panel)
    panel.resize(1000, 420)
    panel.show()
    return panel


def test_role_table_sorts_and_clicking_a_row_opens_that_head(qtbot):
    panel = shown_roles(qtbot)
    chosen = []
    panel.sigHeadChosen.connect(lambda l, h: chosen.append((l, h)))
    panel.add_snapshot(previous_token_snapshot(step=5))
    table = panel.table
    assert table.rowCount() == 4
    previous_col = 2 + list(panel.rows[0].roles.as_dict()).index("previous")
    table.sortItems(previous_col, Qt.SortOrder.DescendingOrder)
    assert panel.head_at_row(0) == (0, 1)  # the perfect previous-token head comes first
    assert table.item(0, previous_col).text() == "1.00"
    assert "Clearest role: layer 1 head 2 reads the token before (1.00)" in panel.caption.text()
    values = [float(table.item(r, previous_col).text()) for r in range(4)]
    assert values == sorted(values, reverse=True)
    table.sortItems(previous_col, Qt.SortOrder.AscendingOrder)
    assert panel.head_at_row(3) == (0, 1)
    # click the last row: that head is selected in the grid and announced
    rect = table.visualRect(table.model().index(3, 0))
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert chosen[-1] == (0, 1)
    assert panel.grid.selected == (0, 1) and panel.selected == (0, 1)
    # a new snapshot keeps the selection and the sort order
    panel.add_snapshot(previous_token_snapshot(step=6))
    assert panel.head_at_row(3) == (0, 1)
    assert table.selectionModel().selectedRows()[0].row() == 3


@pytest.mark.slow
def test_timeline_slider_changes_the_grid_and_gif_has_one_frame_per_snapshot(qtbot, tmp_path, monkeypatch):
    panel = RolesPanel(capacity=8)
    qtbot.addWidget(panel)
    panel.resize(1000, 420)
    panel.show()
    snaps = [snapshot(step=10 * (k + 1), seed=k) for k in range(5)]
    for snap in snaps:
        panel.add_snapshot(snap)
    slider = panel.findChild(QSlider, "timelineSlider")
    assert slider.maximum() == 4 and slider.value() == 4  # follows training
    np.testing.assert_array_equal(panel.grid.images[1][2].image, weight_colours(snaps[-1].weights[1, 2]))
    qtbot.wait(20)
    latest = panel.grid.grab().toImage()
    slider.setValue(1)
    qtbot.wait(20)
    assert panel.shown.step == 20 and "step 20" in panel.stepLabel.text()
    np.testing.assert_array_equal(panel.grid.images[1][2].image, weight_colours(snaps[1].weights[1, 2]))
    assert panel.grid.grab().toImage() != latest
    # scrubbed back: a new snapshot does not jump the view
    panel.add_snapshot(snapshot(step=60, seed=9))
    assert panel.shown.step == 20 and slider.maximum() == 5
    # the GIF: every kept snapshot is a frame
    path = panel.export_gif(tmp_path / "grid.gif", "grid")
    with Image.open(path) as gif:
        assert gif.n_frames == len(panel.timeline) == 6
    panel.select_head(1, 2)
    path = panel.export_gif(tmp_path / "head.gif", "lines")
    with Image.open(path) as gif:
        assert gif.n_frames == 6
    # from the button: a progress dialog counts the frames painted, then converted; the label says where it went
    shown = []
    monkeypatch.setattr(roles_panel, "ask_gif_path", lambda parent, name: tmp_path / "button.gif")
    monkeypatch.setattr(roles_panel.QProgressDialog, "setValue", lambda dialog, value: shown.append(value))
    panel.gifButton.click()
    assert shown == list(range(1, 13)) and (tmp_path / "button.gif").exists()
    assert panel.stepLabel.text() == f"Saved {tmp_path / 'button.gif'} (6 frames)."
    monkeypatch.setattr(roles_panel.QProgressDialog, "wasCanceled", lambda dialog: True)  # Cancel stops it at once
    monkeypatch.setattr(roles_panel, "ask_gif_path", lambda parent, name: tmp_path / "cancelled.gif")
    panel.gifButton.click()
    assert "cancelled" in panel.stepLabel.text() and not (tmp_path / "cancelled.gif").exists()
    panel.export(tmp_path / "roles.svg")
    assert "previous" in (tmp_path / "roles.svg").read_text()


def test_a_click_on_the_timeline_goes_to_the_snapshot_under_it(qtbot):
    """QA: a click in the middle of Head roles' timeline jumped to its last snapshot (a page of 10 towards it)."""
    panel = RolesPanel(capacity=64)
    qtbot.addWidget(panel)
    panel.resize(1000, 420)
    panel.show()
    for k in range(21):
        panel.add_snapshot(snapshot(step=10 * k, T=4, seed=k))
    slider = panel.slider
    assert slider.value() == slider.maximum() == 20
    for share, snapshot_under in ((0.25, 5), (0.75, 15), (0.0, 0)):
        qtbot.mouseClick(slider, Qt.MouseButton.LeftButton, pos=QPoint(round(share * slider.width()) + 1,
                                                                         slider.height() // 2))
        assert abs(slider.value() - snapshot_under) <= 1 and panel.shown.step == 10 * slider.value()


def test_timeline_stays_bounded(qtbot):
    panel = RolesPanel(capacity=8)
    qtbot.addWidget(panel)
    for k in range(50):
        panel.add_snapshot(snapshot(step=k, T=4, seed=k))
    assert len(panel.timeline) <= 9 and panel.timeline.snapshots[-1].step == 49
    assert panel.slider.maximum() == len(panel.timeline) - 1


# ----- architecture ---------------------------------------------------------------------------------
def test_heads_alike_have_no_role_named_in_the_summary(qtbot):
    """QA: lesson 19.3's step 0 says "the eight rows are alike: no head has a role yet" while the summary named
    "most previous-token-like: layer 2 head 2 (0.10)" among eight equal rows."""
    panel = shown_roles(qtbot)
    T = 6
    alike = np.full((2, 2, T, T), 1.0 / T, dtype=np.float32)
    panel.add_snapshot(AttentionSnapshot(step=0, weights=alike, labels=[f"t{i}" for i in range(T)]))
    assert ("No head reads the token before or after, the first or itself much more than an even spread would"
            in panel.caption.text())
    assert "focus: every head alike" in panel.caption.text() and "head 1 (" not in panel.caption.text()


def test_a_decoders_previous_token_head_is_named_against_its_own_even_spread(qtbot):
    """Review: one baseline for every role counted a decoder's first row (weight 1 on itself), which "previous"
    leaves out: a head reading the token before at 0.6 was "no role yet" against 0.68."""
    panel = shown_roles(qtbot)
    T = 8
    even = np.tril(np.ones((T, T), dtype=np.float32))
    even /= even.sum(-1, keepdims=True)
    head = np.zeros((T, T), dtype=np.float32)
    head[0, 0] = 1.0
    for i in range(1, T):
        head[i, : i + 1] = 0.4 / i
        head[i, i - 1] = 0.6
    w = np.stack([np.stack([even, head])])  # (1 layer, 2 heads)
    panel.add_snapshot(AttentionSnapshot(step=50, weights=w, labels=[f"t{i}" for i in range(T)]))
    assert "Clearest role: layer 1 head 2 reads the token before (0.60)" in panel.caption.text()
    # A diverged run's snapshot (all zeros) is not read as a decoder's
    from playground.analysis.roles import is_causal

    assert not is_causal(np.zeros((1, 1, T, T)))


def test_a_weak_role_beside_a_pattern_of_another_kind_is_not_named(qtbot):
    """README's screenshot: an encoder reversing its input (each head on the mirrored token) was summed up as "looks at
    itself (0.17)", twice an even spread but no role to show a class."""
    panel = shown_roles(qtbot)
    T = 12
    head = np.fliplr(np.eye(T, dtype=np.float32)) * 0.83 + np.eye(T, dtype=np.float32) * 0.17
    panel.add_snapshot(AttentionSnapshot(step=400, weights=head[None, None], labels=[f"t{i}" for i in range(T)]))
    assert "No head reads the token before or after, the first or itself" in panel.caption.text()


def test_the_roles_summary_names_the_clearest_role_of_any_head(qtbot):
    """QA (encoder-shift): "Most previous-token-like: layer 2 head 2 (0.10)" beside a head reading the next token at
    0.99, the head its lesson is about."""
    panel = shown_roles(qtbot)
    T = 6
    w = np.full((2, 2, T, T), 1.0 / T, dtype=np.float32)
    w[0, 0] = np.roll(np.eye(T, dtype=np.float32), 1, axis=1)  # each token reads the one after it
    panel.add_snapshot(AttentionSnapshot(step=9, weights=w, labels=[f"t{i}" for i in range(T)]))
    assert "Clearest role: layer 1 head 1 reads the token after (1.00)" in panel.caption.text()


def test_a_vits_roles_table_names_the_patch_on_the_left_and_right_and_exports_them(qtbot, tmp_path):
    """QA: for a ViT the columns said "prev." and "next", the patches before and after in reading order, which for the
    first patch of a row is the last of the row above."""
    from playground.ui.roles_panel import COLUMNS

    panel = shown_roles(qtbot)
    labels = ["CLS", *(f"r{r}c{c}" for r in range(3) for c in range(3))]  # (the ViT's own labels: data/images.py)
    w = np.full((1, 2, 10, 10), 0.1, dtype=np.float32)
    w[0, 1] = 0.0
    w[0, 1, :, 0] = 1.0  # every position rests on [CLS] ...
    for i in (2, 3, 5, 6, 8, 9):  # ... but the patches of columns 1 and 2, which read the patch on their left
        w[0, 1, i] = np.eye(10, dtype=np.float32)[i - 1]
    panel.add_snapshot(AttentionSnapshot(step=4, weights=w, labels=labels, image=np.zeros((6, 6))))
    titles = [panel.table.horizontalHeaderItem(c).text() for c in range(len(COLUMNS))]
    assert titles[COLUMNS.index("previous")] == "left" and titles[COLUMNS.index("next")] == "right"
    assert "left patch" in panel.table.horizontalHeaderItem(COLUMNS.index("previous")).toolTip()
    assert "Clearest role: layer 1 head 2 reads the patch on its left (1.00)" in panel.caption.text()
    svg = panel.export(tmp_path / "roles.svg").read_text()
    assert "left patch" in svg and "previous token" not in svg
    panel.add_snapshot(previous_token_snapshot(step=5))  # a text's again: before and after
    assert panel.table.horizontalHeaderItem(COLUMNS.index("previous")).text() == "prev."


@pytest.mark.slow
def test_architecture_redraws_when_the_layers_slider_moves(open_window, qtbot, tmp_path):
    window = open_window(make_spec(TINY))
    window.tabs.setCurrentWidget(window.architecture)
    view = window.architecture
    qtbot.wait(20)
    assert "x2" in view.scene.texts and "Add & Norm" in view.scene.texts  # BERT: post-LN
    before = view.view.grab().toImage()
    window.config.sliders["model.n_layer"].slider.setValue(5)
    qtbot.waitUntil(lambda: window.spec.model.n_layer == 5)
    assert view.scene.n_layer == 5 and "x5" in view.scene.texts and "x2" not in view.scene.texts
    assert any("(B, T, C) = (8, 8, 32)" == t for t in view.scene.texts)
    assert view.view.grab().toImage() != before
    view.export(tmp_path / "arch.svg")
    view.export(tmp_path / "arch.png")
    assert "Feed-forward network" in (tmp_path / "arch.svg").read_text()
    assert Image.open(tmp_path / "arch.png").size[0] > 500


def test_architecture_draws_each_family_in_its_own_order(qtbot):
    from playground.data import describe

    view = ArchitectureView()
    qtbot.addWidget(view)
    orders = {}
    for family, data in (("encoder", "reverse"), ("decoder", "zen"), ("vit", "digits")):
        spec = make_spec({**TINY, "model": {**TINY["model"], "family": family}, "data": {"name": data}})
        view.set_spec(spec, describe(spec.data, spec.model))
        texts = view.scene.texts
        # (the decoder's is "Masked multi-head self-attention", as the lecture draws its block)
        assert ("Masked multi-head self-attention" in texts) == (family == "decoder")
        orders[family] = ["attention" if t.endswith("ulti-head self-attention") else t for t in texts
                          if t.endswith("ulti-head self-attention")
                          or t in ("LayerNorm", "Add & Norm", "Add (residual)", "Feed-forward network")]
    assert orders["encoder"] == ["attention", "Add & Norm", "Feed-forward network", "Add & Norm"]
    pre_ln = ["LayerNorm", "attention", "Add (residual)", "LayerNorm", "Feed-forward network", "Add (residual)"]
    assert orders["decoder"] == orders["vit"] == pre_ln
    assert "Final LayerNorm" in view.scene.texts and "Prepend [CLS] token" in view.scene.texts
    assert "8×8 px, 1 channel" in view.scene.texts  # (QA: "1 channel(s)")


def test_architecture_draws_the_ablations_it_trains(qtbot):
    """QA: the diagram drew BERT's or GPT-2's own block whatever the ablations said: "Add & Norm" and the residual
    arrows over encoder-reverse-no-residual, LayerNorm boxes over vit-shapes-no-layernorm, a causal mask over
    decoder-no-mask."""
    from playground.data import describe

    view = ArchitectureView()
    qtbot.addWidget(view)

    def drawn(data: str, **model) -> list[str]:
        spec = make_spec({**TINY, "model": {**TINY["model"], **model}, "data": {"name": data}})
        view.set_spec(spec, describe(spec.data, spec.model))
        return view.scene.texts

    texts = drawn("reverse", family="encoder", residual=False)
    assert "Add & Norm" not in texts and "residual" not in texts
    assert texts.count("Norm") == 2 and "x = LayerNorm(attention(x))" in texts and "x = LayerNorm(FFN(x))" in texts
    # each ablation on a line of its own under the family's layout: one line was wider than the diagram (QA)
    assert "post-LN (BERT): normalise after each sub-layer;" in texts
    assert "no residual connections (ablation): each sub-layer's output replaces the stream" in texts
    texts = drawn("digits", family="vit", norm="none")
    assert not {"LayerNorm", "Final LayerNorm"} & set(texts) and "x = x + attention(x)" in texts
    assert "residual" in texts and any(t.startswith("no LayerNorm (ablation: ViT is pre-LN)") for t in texts)
    texts = drawn("zen", family="decoder", norm="post")
    assert "Add & Norm" in texts and "Final LayerNorm" not in texts
    texts = drawn("zen", family="decoder", causal=False, scale_scores=False, pos_encoding="none")
    assert "Multi-head self-attention" in texts and "Masked multi-head self-attention" not in texts
    assert any("no causal mask (ablation)" in t for t in texts) and "no positional encoding" in texts
    assert any(t.endswith("scores (B, H, T, T) not scaled") for t in texts)
    drawn("zen", family="decoder", n_head=1)
    assert "1 head × d_head 32" in " ".join(view.scene.texts) and "· 1 head ·" in view.caption.text()  # not "1 heads"
    assert any(t.endswith(f"scores (B, H, T, T) ÷ √{32 // 2}") for t in drawn("zen", family="decoder"))


def test_no_line_of_the_architecture_strikes_a_label(qtbot):
    """Every arrow, residual branch and bend runs clear of every text (a residual once struck a shape label), and
    every box holds its texts (QA: "Classifier on the [CLS] token (pooler: dense + tanh)" ran past its box, an
    arrowhead over its end)."""
    from playground.data import describe

    view = ArchitectureView()
    qtbot.addWidget(view)
    stroker = QPainterPathStroker()
    stroker.setWidth(1.4)
    for (family, data), columns in itertools.product((("encoder", "reverse"), ("decoder", "zen"), ("vit", "digits"),
                                                      ("encoder", "sentiment")), (2, 1)):
        spec = make_spec({**TINY, "model": {**TINY["model"], "family": family}, "data": {"name": data}})
        view.scene.draw(spec, describe(spec.data, spec.model), columns)
        items = view.scene.items()
        strokes = [stroker.createStroke(i.path()) for i in items if isinstance(i, QGraphicsPathItem)]
        strokes += [stroker.createStroke(_segment(i.line())) for i in items if isinstance(i, QGraphicsLineItem)]
        frames = [i for i in items if isinstance(i, QGraphicsRectItem) and i.brush().style() == Qt.BrushStyle.NoBrush]
        strokes += [stroker.createStroke(_outline(i.rect())) for i in frames]  # the block's dashed frame
        texts = [i for i in items if isinstance(i, QGraphicsSimpleTextItem)]
        assert len(strokes) >= 10 and len(texts) >= 20
        struck = [t.text() for t in texts for s in strokes if s.intersects(t.sceneBoundingRect())]
        assert struck == [], (family, columns)
        boxes = [i.sceneBoundingRect() for i in items if isinstance(i, QGraphicsRectItem) and i not in frames]
        spilt = [t.text() for t in texts for box in boxes
                 if box.contains(t.sceneBoundingRect().center()) and not box.contains(t.sceneBoundingRect())]
        assert spilt == [], (family, columns)
    # Fitted into the tab at 1280x720 (930 x 320 px) the box titles once read 7 px: now never below the window's text,
    # presentation mode's too. Too wide in two columns at that size (presentation mode beside a lesson cut the block,
    # the lesson's subject, in half: QA), the diagram takes one, the block under the embeddings, and scrolls down.
    spec = make_spec({**TINY, "model": {**TINY["model"], "family": "encoder"}, "data": {"name": "reverse"}})
    view.set_spec(spec, describe(spec.data, spec.model))
    view.resize(940, 350)
    view.show()
    for zoom, columns in ((1.0, 2), (1.3, 1), (1.0, 2)):
        font = QFont(QApplication.font())
        font.setPointSizeF(font.pointSizeF() * zoom)
        view.setFont(font)
        qtbot.waitUntil(lambda columns=columns: view._columns == columns and view.view.verticalScrollBar().isVisible()
                        and not view.view.horizontalScrollBar().isVisible(), timeout=5000)  # laid out at this zoom
        # scrolls down, and says how to make room (QA: cut at the block's second LayerNorm with "Fit to window")
        assert view.fitCheck.isChecked() and view.fitCheck.text() == "Fit to window: F8 for room"
        assert view.view.transform().m11() * view.scene.title_font.pointSizeF() >= font.pointSizeF() - 1e-6
        bar = view.view.verticalScrollBar()
        assert bar.value() == bar.minimum()  # from its title, not its middle (QA, F5)
    # Narrower still, even one column does not fit legibly: it says how to make room, and scrolls
    font.setPointSizeF(font.pointSizeF() * 1.3)
    view.setFont(font)
    view.resize(600, 350)
    qtbot.waitUntil(lambda: view.fitCheck.text() == "Fit to window: F9 for room", timeout=5000)
    font.setPointSizeF(QApplication.font().pointSizeF())
    view.setFont(font)
    view.resize(1600, 1200)  # room for all of it: it fits, and says nothing more
    qtbot.waitUntil(lambda: view.fitCheck.text() == "Fit to window" and not view.view.verticalScrollBar().isVisible(),
                    timeout=5000)


def test_the_architectures_title_and_notes_wrap_to_the_diagrams_width(qtbot):
    """QA: "Encoder (BERT-like) — Pretrained BERT (MiniLM) reads review sentiment (fine-tuning)" made the one-column
    diagram twice as wide as its boxes, so in presentation mode it scrolled sideways with "Fit to window" ticked."""
    from playground.data import describe

    view = ArchitectureView()
    qtbot.addWidget(view)
    name = "a preset named at length, " * 4 + "the end"
    spec = make_spec({**TINY, "name": name, "model": {**TINY["model"], "family": "encoder"}, "data": {"name": "reverse"}})
    view.scene.draw(spec, describe(spec.data, spec.model), 1)
    items = view.scene.items()
    header = [i for i in items if isinstance(i, QGraphicsSimpleTextItem) and i.sceneBoundingRect().bottom() < 0]
    body = max(i.sceneBoundingRect().right() for i in items if i not in header)  # the boxes, arrows and labels
    assert len(header) >= 4 and max(t.sceneBoundingRect().right() for t in header) <= body
    assert view.scene.texts[0] == f"Encoder (BERT-like) — {name}"  # the line whole, as read


def test_a_diagram_drawn_in_a_hidden_tab_starts_from_its_title(qtbot):
    """The README's picture had the title cut: drawn while its tab was hidden (a view of 86 x 16 px), the view kept a
    50-px margin it had no room for by scrolling into the diagram, and stayed there once shown."""
    from playground.data import describe

    parent = QWidget()  # never shown, as a tab not chosen yet
    qtbot.addWidget(parent)
    view = ArchitectureView(parent)
    spec = make_spec({**TINY, "model": {**TINY["model"], "family": "encoder"}, "data": {"name": "reverse"}})
    bar = view.view.verticalScrollBar()
    for _ in range(3):  # once its scroll bars are laid out too, as the window redraws it
        view.set_spec(spec, describe(spec.data, spec.model))
        QApplication.processEvents()
        assert bar.maximum() > bar.minimum() and bar.value() == bar.minimum()


def _outline(rect):
    path = QPainterPath()
    path.addRect(rect)
    return path


def _segment(line):
    path = QPainterPath(line.p1())
    path.lineTo(line.p2())
    return path


# ----- the real model, through the worker thread ----------------------------------------------------------
@pytest.fixture
def trained_window(open_window, qtbot):
    window = open_window(make_spec(TINY))
    window.tabs.setCurrentWidget(window.inside)
    window.step_once()
    qtbot.waitUntil(lambda: window.inside.result is not None, timeout=WAIT_MS)
    yield window
    window.shutdown()


@pytest.mark.slow
def test_before_a_model_each_inside_view_says_once_how_to_get_one(open_window, qtbot):
    """The panel's status line repeated the view's own sentence just under it."""
    from playground.ui.attention_tips import INSIDE

    window = open_window(make_spec(TINY))
    window.tabs.setCurrentWidget(window.inside)
    for view in (window.inside.steps, window.inside.embeddings):
        window.inside.tabs.setCurrentWidget(view)
        qtbot.wait(20)
        shown = [label for label in window.inside.findChildren(QLabel)
                 if label.isVisible() and INSIDE["waiting"] in label.text()]
        assert len(shown) == 1 and view.isAncestorOf(shown[0]), view.objectName()


def test_step_view_output_equals_the_models_layer_output(trained_window, qtbot):
    import torch

    inside = trained_window.inside
    inside.layerCombo.setCurrentIndex(1)
    inside.headCombo.setCurrentIndex(1)
    qtbot.waitUntil(lambda: inside.result.layer == 1 and inside.result.head == 1, timeout=WAIT_MS)
    shown = inside.result.steps  # what the step view draws
    assert (shown.layer, shown.head) == (1, 1)
    session = trained_window.worker.session
    trained_window.worker.pause()
    captured = {}
    block = session.model.blocks[1]
    handle = block.attn.register_forward_hook(lambda m, args, out: captured.__setitem__("out", out[0].detach()))
    try:
        batch = session.dataset.probe()
        session.model.eval()
        with torch.no_grad():
            session.model(batch.x, batch.mask)
    finally:
        handle.remove()
    np.testing.assert_allclose(shown.projected, captured["out"][0].numpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(shown.weights.sum(-1), 1.0, atol=1e-5)
    np.testing.assert_allclose(shown.head_outputs[1], shown.output)
    np.testing.assert_allclose(inside.headView.lines.weights, inside.result.snapshot.weights)


@pytest.mark.slow
def test_typing_a_new_input_changes_every_view(trained_window, qtbot):
    inside = trained_window.inside
    view = inside.steps
    qtbot.wait(50)
    before_steps = view.label.grab().toImage()
    before_lines = inside.headView.lines.weights.copy()
    old = inside.result.token
    inside.inputEdit.setText("7 3 5 1")
    qtbot.keyClick(inside.inputEdit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: inside.result.token > old and inside.result.text == "7 3 5 1", timeout=WAIT_MS)
    qtbot.wait(50)
    assert view.label.grab().toImage() != before_steps
    assert "7 3 5 1" in inside.status.text()
    assert inside.headView.lines.weights.shape != before_lines.shape or \
        not np.allclose(inside.headView.lines.weights, before_lines)
    assert inside.result.steps.labels[:4] != [str(i) for i in range(4)]
    # a bad input is explained, not a crash
    inside.set_input("not symbols ☃")
    qtbot.waitUntil(lambda: "Could not show this input" in inside.status.toolTip(), timeout=WAIT_MS)
    # the views still show the last input's attention, and say so (QA: under the error as if of the new input)
    assert inside.status.toolTip().endswith(".</span> The views still show “7 3 5 1”.") and "Could not show" in \
        inside.status.text() and inside.result.text == "7 3 5 1"
    # Emptying the box is the probe input again (keyboard QA: the error stayed, and the views stopped following
    # training, until Show was pressed on the empty box)
    failed = inside.result.token
    inside.inputEdit.selectAll()
    qtbot.keyClick(inside.inputEdit, Qt.Key.Key_Backspace)
    qtbot.waitUntil(lambda: inside.result.token > failed, timeout=WAIT_MS)
    assert "Could not show this input" not in inside.status.text() and inside._text == ""


@pytest.mark.slow
def test_roles_clicking_opens_the_head_step_by_step(trained_window, qtbot):
    inside = trained_window.inside
    inside.tabs.setCurrentWidget(inside.roles)
    qtbot.waitUntil(lambda: inside.roles.table.rowCount() == 4, timeout=WAIT_MS)
    row = next(r for r in range(4) if inside.roles.head_at_row(r) == (1, 0))
    rect = inside.roles.table.visualRect(inside.roles.table.model().index(row, 2))
    qtbot.mouseClick(inside.roles.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert (inside.layer, inside.head) == (1, 0)
    assert trained_window.attentionGrid.selected == (1, 0)
    qtbot.waitUntil(lambda: (inside.result.layer, inside.result.head) == (1, 0), timeout=WAIT_MS)
    inside.headCombo.setCurrentIndex(1)  # picked above the views: the table and both grids follow (QA)
    assert inside.roles.selected == trained_window.attentionGrid.selected == (1, 1)
    detail = trained_window.attention.detail  # and the Attention tab's enlarged head (review)
    assert (detail.layer, detail.head) == (1, 1)
    assert inside.roles.head_at_row(inside.roles.table.currentRow()) == (1, 1)
    inside.headCombo.setCurrentIndex(0)
    qtbot.waitUntil(lambda: (inside.result.layer, inside.result.head) == (1, 0), timeout=WAIT_MS)
    # At 1280x720 every column of an encoder's table (all eight) is in view whole: no horizontal scrolling to "self".
    table = inside.roles.table
    header, height = table.horizontalHeader(), table.height()
    trained_window.resize(1280, 720)
    qtbot.waitUntil(lambda: table.height() < height)  # laid out at the new size
    assert not any(table.isColumnHidden(c) for c in range(table.columnCount()))
    assert header.length() <= table.viewport().width() and not table.horizontalScrollBar().isVisible()
    assert all(header.sectionSize(c) >= header.sectionSizeFromContents(c).width() for c in range(header.count()))


def test_hidden_roles_panel_draws_its_grid_when_shown(qtbot):
    """While training, a hidden Head roles tab must not redraw its grid for every snapshot (GUI time holds the
    GIL); shown, it draws the latest one."""
    panel = RolesPanel(capacity=8)
    qtbot.addWidget(panel)
    panel.resize(1000, 420)
    snaps = [snapshot(step=10 * (k + 1), seed=k) for k in range(3)]
    for snap in snaps:
        panel.add_snapshot(snap)
    assert panel.grid.snapshot is None and panel.table.rowCount() == 0
    panel.show()
    qtbot.waitExposed(panel)
    assert panel.grid.snapshot is snaps[-1] and panel.table.rowCount() == 6
    np.testing.assert_array_equal(panel.grid.images[1][2].image, weight_colours(snaps[-1].weights[1, 2]))


def test_a_short_roles_panel_scrolls_to_its_last_layer_instead_of_cutting_it(qtbot):
    """At 1280x720 the Head roles grid of a 4-layer ViT showed "yer 3" and no layer 4. Its layers now read L1-L4
    where "layer N" would not fit (a 4-layer grid then fits), and what still does not fit scrolls: 8 layers here."""
    from PySide6.QtWidgets import QScrollArea

    panel = RolesPanel(capacity=8)
    qtbot.addWidget(panel)
    panel.resize(1000, 230)
    panel.show()
    panel.add_snapshot(snapshot(step=10, layers=8, heads=4))
    qtbot.waitExposed(panel)
    qtbot.wait(50)
    scroll = panel.findChild(QScrollArea, "timelineGridScroll")
    grid = panel.grid
    last = grid.views[7][0].sceneBoundingRect()  # layer 8's first tile, in the grid's own pixels
    assert grid.height() >= last.bottom() and grid.height() > scroll.viewport().height()  # whole, below the fold
    assert [title.text for title in grid.layerTitles] == [f"L{i}" for i in range(1, 9)]
    bar = scroll.verticalScrollBar()
    bar.setValue(bar.maximum())
    assert bar.maximum() + scroll.viewport().height() >= grid.height()


def test_a_tall_figure_fitted_to_width_needs_no_horizontal_scrolling(qtbot):
    """The fitted figure brings a vertical scroll bar; its width leaves room for it (ViT's [CLS] at 1280x720)."""
    from playground.ui.inside_attention import FigureView

    view = FigureView("tallFigure", "a tall figure")
    qtbot.addWidget(view)
    view.resize(500, 300)
    view.show()
    bar = view.scroll.verticalScrollBar()
    qtbot.waitUntil(lambda: view.scroll.viewport().width() > 400 and not bar.isVisible())  # laid out, no bar yet
    view.set_figure(object(), np.full((1600, 900, 3), 255, dtype=np.uint8))
    qtbot.waitUntil(bar.isVisible)
    qtbot.waitUntil(lambda: view.label.pixmap().width() <= view.scroll.viewport().width()
                    and not view.scroll.horizontalScrollBar().isVisible(), timeout=5000)  # the picture fits the width


def test_the_head_view_and_embeddings_offer_export_once_they_show_something(open_window, qtbot):
    """Keyboard QA: Export… was enabled on the empty Head view and Embeddings (an empty picture), where Step by step's
    was not."""
    window = open_window(make_spec(TINY))
    inside = window.inside
    window.tabs.setCurrentWidget(inside)
    buttons = [inside.headView.exportButton, inside.embeddings.exportButton, inside.steps.exportButton]
    assert [button.isEnabled() for button in buttons] == [False] * 3
    for view in (inside.headView, inside.embeddings):
        inside.tabs.setCurrentWidget(view)
        window.step_once()
        qtbot.waitUntil(lambda view=view: view.exportButton.isEnabled(), timeout=WAIT_MS)
    window.reset("")
    assert [button.isEnabled() for button in buttons] == [False] * 3


@pytest.mark.slow
def test_inside_attention_says_how_it_read_an_image_or_a_long_sentence(open_window, qtbot, tmp_path,
                                                                         monkeypatch):
    """QA: a dark drawing on white was read inverted to the light-on-dark shapes and called "circle (100%)"; it is
    now inverted to match, and the window says so, as it says that a sentence was cut to the context."""
    from conftest import TINY_SENTIMENT
    from PIL import Image, ImageDraw

    tiny_vit = {"name": "tiny-shapes", "model": {"family": "vit", "n_embd": 16, "n_head": 2, "n_layer": 1,
                                                  "d_ff": 32, "image_size": 16, "patch_size": 4},
                "data": {"name": "shapes", "options": {"n_images": 100}}, "train": TINY["train"]}
    window = open_window(make_spec(tiny_vit))
    inside = window.inside
    window.tabs.setCurrentWidget(inside)
    window.step_once()
    qtbot.waitUntil(lambda: inside.result is not None, timeout=WAIT_MS)
    assert inside.inputNote.isHidden()  # the probe: read as it is
    # Export suggests a name after the run and the step shown (QA: "vitView.png")
    from playground.ui import exporting

    asked = []
    monkeypatch.setattr(exporting, "ask_path", lambda parent, title, name, vector: asked.append(name))
    inside.vit.exportButton.click()
    inside.steps.exportButton.click()
    run, step = window.worker.run_dir.name, inside.result.step
    assert asked == [f"{run}-cls-attention-step{step}", f"{run}-step-by-step-layer1-head1-step{step}"]
    # ... and says it saved the file, or why it could not (QA: nothing was said; a folder it could not write in
    # raised in the event loop)
    target = tmp_path / "vit.png"
    monkeypatch.setattr(exporting, "ask_path", lambda *args: target)
    inside.vit.exportButton.click()
    assert target.is_file() and window.statusBar().currentMessage() == f"Saved {target}"
    target = target / "vit.png"  # in a "folder" that is a file
    inside.vit.exportButton.click()
    assert window.statusBar().currentMessage().startswith("Could not save vit.png: ")
    image = Image.new("RGB", (64, 64), "white")
    ImageDraw.Draw(image).line([(8, 8), (56, 56)], fill="red", width=8)
    image.save(tmp_path / "cross.png")
    inside.set_input(str(tmp_path / "cross.png"))
    qtbot.waitUntil(lambda: inside.result.text.endswith("cross.png"), timeout=WAIT_MS)
    assert inside.inputNote.isVisible() and "inverted" in inside.inputNote.text()

    window.load_spec(make_spec(TINY_SENTIMENT), None)
    window.tabs.setCurrentWidget(inside)
    assert inside.inputNote.isHidden()  # another model: its note went with the old one
    window.step_once()
    qtbot.waitUntil(lambda: inside.result is not None, timeout=WAIT_MS)
    inside.set_input("the film was good but the music was dull and the acting was weak and slow")
    qtbot.waitUntil(lambda: inside.result.text.startswith("the film"), timeout=WAIT_MS)
    assert "the model reads at most 12: its first 12 are shown" in inside.inputNote.text()
    window.shutdown()


def test_the_layer_and_head_pickers_show_their_numbers_whole_at_175_percent(trained_window, qtbot, request):
    """QA at 1280x720 and 175 %: Inside attention's pickers read "layer" and "head", their numbers cut off. The label
    beside each names it; the box shows the number, never narrower than it."""
    window = trained_window
    request.addfinalizer(lambda: window.set_zoom(1.0))
    window.set_zoom(1.75)
    window.resize(1280, 720)
    inside = window.inside
    qtbot.waitUntil(lambda: inside.layerCombo.count() == 2)
    for combo in (inside.layerCombo, inside.headCombo):
        qtbot.waitUntil(lambda combo=combo: combo.width() >= combo.sizeHint().width(), timeout=3000)
        assert combo.currentText() == "1"
    assert (inside.layerCombo.accessibleName(), inside.headCombo.accessibleName()) == ("Layer", "Head")


@pytest.mark.slow
def test_a_head_picked_above_is_the_head_views_head_too(trained_window, qtbot):
    """QA, lesson 19.2: step 7 says "choose layer 2, head 1 above", step 8 "the same head as lines", and the head
    view showed layer 1, all heads, its own pickers apart from the ones above."""
    inside = trained_window.inside
    layer, head = inside.layerCombo, inside.headCombo
    layer.setCurrentIndex(1)
    layer.activated.emit(1)  # as a user's pick sends it
    head.setCurrentIndex(1)
    head.activated.emit(1)
    view = inside.headView
    assert (view.layerCombo.currentIndex(), view.headsCombo.currentIndex()) == (1, 2)  # layer 2, head 2
    assert (view.lines.layer, view.lines.heads) == (1, 1)


@pytest.mark.slow
def test_in_presentation_mode_every_column_of_a_decoders_roles_table_is_in_view(open_window, qtbot, request):
    """QA, lesson 19.3 at 130 %: the 'first' and 'self' columns the step names were past the table's edge."""
    from playground.ui.window_room import PRESENTATION_ZOOM

    decoder = {**TINY, "name": "tiny-zen", "model": {**TINY["model"], "family": "decoder", "block_size": 16},
               "data": {"name": "zen"}}
    window = open_window(make_spec(decoder))
    request.addfinalizer(lambda: window.set_zoom(1.0))
    window.set_zoom(PRESENTATION_ZOOM)
    window.resize(1280, 720)
    window.tabs.setCurrentWidget(window.inside)
    window.inside.tabs.setCurrentWidget(window.inside.roles)
    window.step_once()
    table = window.inside.roles.table
    qtbot.waitUntil(lambda: table.rowCount() == 4, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: table.horizontalHeader().length() <= table.viewport().width(), timeout=5_000)
    window.shutdown()


def test_the_attention_tab_shows_the_inputs_tokens_without_its_padding(qtbot, tiny_session):
    """Lecturer QA: six of bert-pronoun's 24 heatmap rows were [PAD] (hidden from every query: empty columns, rows that
    mean nothing), and the sentence's own tokens lost their axis labels for the room."""
    from playground.ui.attention_grid import AttentionPanel

    session = tiny_session("encoder", "sentiment", block_size=16)
    snapshot = session.snapshot()  # the probe sentence, padded to the context
    padded = snapshot.weights.shape[-1]
    assert snapshot.tokens is not None and 0 < snapshot.tokens < padded and "[PAD]" in snapshot.labels
    assert "[PAD]" not in snapshot.labels[:snapshot.tokens]  # the tokens come first, then the padding
    panel = AttentionPanel()
    qtbot.addWidget(panel)
    panel.set_snapshot(snapshot)
    shown = panel.grid.snapshot
    assert shown.weights.shape[-1] == len(shown.labels) == snapshot.tokens and "[PAD]" not in shown.labels
    np.testing.assert_array_equal(shown.weights, snapshot.weights[:, :, :snapshot.tokens, :snapshot.tokens])
    typed = session.snapshot(session.dataset.example("a great film"))  # unpadded: shown as it is
    assert typed.tokens is None and typed.tokens_only() is typed


def test_the_head_view_draws_the_inputs_tokens_without_its_padding(qtbot, tiny_session):
    """QA: BERT's head view drew thick lines from four [PAD] query rows (their attention means nothing), where the
    Attention tab leaves the padding out."""
    from playground.ui.attention_jobs import InsideResult
    from playground.ui.inside_attention import InsideAttentionPanel

    snapshot = tiny_session("encoder", "sentiment", block_size=16).snapshot()  # the probe sentence, padded
    n = snapshot.tokens
    assert n is not None and n < snapshot.weights.shape[-1]
    panel = InsideAttentionPanel(lambda: None)
    qtbot.addWidget(panel)
    panel.resize(1600, 600)  # (room for the status line's fullest wording)
    panel.show()
    qtbot.waitExposed(panel)
    panel.show_result(InsideResult(token=1, step=3, text="", layer=0, head=0, snapshot=snapshot))
    lines = panel.headView.lines
    assert lines.labels == snapshot.labels[:n] and "[PAD]" not in lines.labels
    padding = snapshot.weights.shape[-1] - n  # counted as the views draw them (QA: "12 tokens" over 8 drawn)
    assert f": {n} tokens (+{padding} padding)" in panel.status.text() and "[PAD]" not in panel.status.text()
    np.testing.assert_array_equal(lines.weights, snapshot.weights[:, :, :n, :n])


def test_head_roles_shows_the_inputs_tokens_without_its_padding_live_and_from_a_saved_run(qtbot, tiny_session,
                                                                                          tmp_path):
    """Review: Head roles' grid and timeline still showed the [PAD] rows the Attention tab had lost; a run folder's
    snapshots carried no token count. The measures are taken on the tokens shown: the last token's "next token" no
    longer counts the hidden padding after it as a zero."""
    from playground.analysis.roles import role_table
    from playground.analysis.timeline import SnapshotTimeline

    session = tiny_session("encoder", "sentiment", block_size=16)
    snapshot = session.snapshot()
    n = snapshot.tokens
    assert n is not None and n < snapshot.weights.shape[-1]
    timeline = SnapshotTimeline()
    timeline.add(snapshot)
    timeline.save(tmp_path)
    for source in ("live", "saved"):
        panel = RolesPanel()
        qtbot.addWidget(panel)
        panel.show()
        if source == "live":
            panel.add_snapshot(snapshot)
        else:
            panel.set_timeline(SnapshotTimeline.load(tmp_path))
        shown = panel.grid.snapshot
        assert shown.weights.shape[-1] == len(shown.labels) == n and "[PAD]" not in shown.labels, source
        measured = [list(row.as_dict().values()) for row in panel.rows]
        tokens_only = role_table(snapshot.weights[:, :, :n, :n])
        np.testing.assert_allclose(measured, [list(row.as_dict().values()) for row in tokens_only],
                                   atol=2e-3)  # (a saved run's weights are float16)


def test_a_tall_architecture_says_f8_makes_room_unless_the_curves_are_hidden_already(open_window, qtbot):
    """Review: "F8 for room" stood there with the loss curves hidden, where F8 would bring them back."""
    from playground.core.presets import load_preset
    from playground.ui.architecture_view import FIT_SCROLL, FIT_SHORT, FIT_TEXT

    window = open_window(load_preset("decoder-pydoc"))
    window.resize(1280, 720)
    window.tabs.setCurrentWidget(window.architecture)
    check = window.architecture.fitCheck
    qtbot.waitUntil(lambda: check.text() == FIT_SHORT, timeout=5000)
    window.lossPlotAction.trigger()  # F8: the curves hidden, the diagram taller
    qtbot.waitUntil(lambda: check.text() in (FIT_SCROLL, FIT_TEXT), timeout=5000)
    window.lossPlotAction.trigger()
    qtbot.waitUntil(lambda: check.text() == FIT_SHORT, timeout=5000)


def test_a_roles_table_sorted_by_a_measure_shows_its_first_rows_whichever_head_is_shown(qtbot):
    """QA, lesson 19.3 at 130 %: sorted by mean distance, farthest first, the table stayed scrolled to the shown head's
    row (layer 1's), the layer-2 rows the step spoke of above the fold."""
    panel = RolesPanel(capacity=8)
    qtbot.addWidget(panel)
    panel.resize(900, 260)
    panel.show()
    panel.add_snapshot(snapshot(layers=4, heads=4))
    table = panel.table
    qtbot.waitUntil(lambda: table.rowCount() == 16)
    panel.sort_by("distance")
    last = panel.head_at_row(table.rowCount() - 1)
    panel.select_head(*last)  # the shown head's row, at the bottom of this order
    panel.add_snapshot(snapshot(step=20, layers=4, heads=4, seed=1))  # a refresh selects it again
    assert table.verticalScrollBar().maximum() > 0 and table.verticalScrollBar().value() == 0
