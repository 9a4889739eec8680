"""Every teaching text of the window in one place, in the lecture's words.

Keys are the dotted spec paths (as in presets and `--set`) or the names of actions and panels.
"""

from __future__ import annotations

TIPS: dict[str, str] = {
    "model.family": (
        "<b>Which transformer to train.</b><br>"
        "<b>Encoder</b> (BERT-like): every token attends to every other token, in both directions; "
        "trained to fill in masked tokens or to label a sequence.<br>"
        "<b>Decoder</b> (GPT-like): a <i>causal mask</i> lets each token attend only to itself and "
        "earlier tokens, so it can be trained to predict the next token and then generate text.<br>"
        "<b>Vision Transformer</b>: cuts an image into patches, turns each patch into a token and "
        "classifies the image from a special CLS token.<br>"
        "<b>Pretrained BERT</b> (fine-tune): starts from a real encoder already trained on lots of text "
        "(the packaged MiniLM) and fine-tunes it to classify sentences; its architecture is fixed."
    ),
    "data.name": (
        "<b>The training data.</b> Built-in corpora and toy tasks that fit the chosen family, or your own "
        "file: a .txt file (text to model), a CSV file (text,label rows to classify) or a folder of "
        "images with one sub-folder per class."
    ),
    "model.n_embd": (
        "<b>Embedding dimension</b> (d<sub>model</sub>): the length of the vector that represents each "
        "token. Every layer reads and writes vectors of this size (the residual stream). Bigger means "
        "more capacity, more parameters and slower steps."
    ),
    "model.n_head": (
        "<b>Attention heads</b>: several attentions run in parallel, each with its own query, key and "
        "value projections over n_embd / n_head dimensions, so each head can look for a different "
        "pattern. Only numbers of heads that divide the embedding dimension can be chosen, because each "
        "head gets n_embd / n_head dimensions."
    ),
    "model.n_layer": (
        "<b>Layers</b>: how many transformer blocks are stacked. Each block is attention followed by a "
        "feed-forward network, both with a residual connection and layer normalisation. Deeper models "
        "can combine patterns found by earlier layers."
    ),
    "model.d_ff": (
        "<b>Feed-forward width</b>: the hidden size of the two-layer MLP applied to every token after "
        "attention (usually 4 × n_embd). Attention mixes information between tokens; the feed-forward "
        "network transforms each token on its own."
    ),
    "model.block_size": (
        "<b>Context length</b>: how many tokens the model sees at once. Attention compares every token "
        "with every other, so its cost grows with the square of this number. The heatmaps are "
        "context × context."
    ),
    "model.image_size": (
        "<b>Image size</b>: images are resized to this many pixels per side before being cut into patches."
    ),
    "model.patch_size": (
        "<b>Patch size</b>: the ViT cuts the image into square patches of this many pixels; each patch is "
        "flattened and projected to one token vector. Only sizes that tile the image exactly can be "
        "chosen. Smaller patches mean more tokens: (image / patch)² patches plus one CLS token."
    ),
    # Dataset options (playground/data/registry.py): shown under the dataset only when it takes them.
    "data.options.length": (
        "The decoder reads the symbols, a separator, then writes its answer, so it needs a context of "
        "2 × length + 1 tokens; the encoder labels every position, so the length can fill its context. "
        "Longer sequences are harder: attention has to reach further and pick one key among more."
    ),
    "data.options.n_symbols": (
        "The vocabulary is these symbols plus [PAD] and [SEP], so more symbols mean more embedding and "
        "output rows (watch the parameter count). With few symbols repeats are common, which makes "
        "copying by content ambiguous; sorting with many symbols needs finer comparisons."
    ),
    "data.options.labels": (
        "The same sentences, two questions. With <i>kind</i> the final adjective ('tired' or 'wide') "
        "alone decides. With <i>position</i>, half the sentences name the animal second, so neither the "
        "adjective nor the word order alone gives the answer: the model has to combine them."
    ),
    "data.options.n_images": (
        "More generated images: more different examples per epoch, so the ViT memorises less and "
        "generalises more; generating them takes a little longer when training starts."
    ),
    "data.options.channels": (
        "1 reads every image as grayscale, one number per pixel; 3 keeps red, green and blue, so each "
        "flattened patch is three times longer before its projection to a token vector."
    ),
    "data.options.text_column": (
        "Type another header name to read the text from a different column of the same file; a name the "
        "header lacks is refused with the columns it has."
    ),
    "data.options.label_column": (
        "Every distinct value in this column becomes one class of the classifier, so a column of free text "
        "(too many distinct values) is refused."
    ),
    # Ablations (issue 24): each removes or moves one piece of the transformer, to watch what breaks.
    "ablations": (
        "<b>Ablations</b>: take one piece of the transformer out (or move it) and watch what breaks. "
        "The defaults are the family's own design; a changed model trains from scratch."
    ),
    "model.residual": (
        "<b>Residual connections</b> (skip connections): each sub-layer adds its output to its input, "
        "x + attention(x) and x + feed-forward(x), so the token's own vector and the gradients flow straight "
        "through the stack (the residual stream). Untick to replace x by the sub-layer's output: every layer "
        "must then carry all the information itself, and deeper models train much worse."
    ),
    "model.norm": (
        "<b>Layer normalisation</b>: where LayerNorm rescales each token's vector to mean 0 and variance 1. "
        "<i>post</i> (original Transformer, BERT): x = LN(x + sublayer(x)). <i>pre</i> (GPT-2, ViT): "
        "x = x + sublayer(LN(x)), with one more LN after the last block; it keeps the residual stream a plain "
        "sum and trains deep stacks stably. <i>none</i>: no LayerNorm at all: activations can grow from "
        "layer to layer and training needs a smaller learning rate."
    ),
    "model.pos_encoding": (
        "<b>Positional encoding</b>: attention itself is order-blind, it compares every token with every "
        "other wherever they are, so a vector for each position is added to the token's embedding. "
        "<i>learned</i>: a trained table (BERT, GPT-2, ViT); <i>sinusoidal</i>: the fixed sines and cosines "
        "of \"Attention Is All You Need\"; <i>none</i>: nothing is added, the model sees a bag of tokens, "
        "so reversing or sorting a sequence cannot be learned."
    ),
    "model.causal": (
        "<b>Causal mask</b> (decoder): each token may attend only to itself and earlier tokens: the upper "
        "triangle of the scores is set to −∞ before the softmax, because the decoder is trained to predict "
        "the next token. Untick it and the decoder cheats: it reads the answer from the next position, the "
        "training loss collapses, but generated text is garbage (when generating, the future is not there "
        "yet), and the attention grid shows the upper triangle filled."
    ),
    "model.scale_scores": (
        "<b>Scale by 1/√d</b>: the scores q·k are divided by the square root of the head size d before "
        "the softmax. Dot products of d-dimensional vectors grow like √d, so without it large heads give "
        "huge scores, the softmax saturates into one-hot rows and its gradients vanish. Untick it and watch "
        "Step by step and the head roles' entropy show near one-hot rows early in training."
    ),
    "model.dropout": (
        "<b>Dropout</b>: during training, randomly zero this fraction of activations so the model cannot "
        "rely on any single one. Helps against overfitting on small data; 0 is fine for tiny runs. "
        "Changing it while training goes on from the next step (marked on the loss curve)."
    ),
    "train.lr": (
        "<b>Learning rate</b> (log scale): the step size of the AdamW optimiser. Too small learns "
        "slowly; too large makes the loss jump or explode. It applies live, even while training: the value "
        "is the schedule's peak, so from the next step the warm-up and cosine decay keep their shape, scaled to "
        "the new peak (at every later step the rate is new peak × the schedule's factor there). The change is "
        "marked on the loss curve."
    ),
    "train.batch_size": (
        "<b>Batch size</b>: how many examples are averaged in each optimiser step. Larger batches give "
        "smoother loss curves but slower steps. Changing it while training goes on from the next step "
        "(marked on the loss curve)."
    ),
    "train.weight_decay": (
        "<b>Weight decay</b>: AdamW shrinks every weight matrix a little towards zero at each step "
        "(lr × decay × weight), which keeps weights small and helps against overfitting; biases and "
        "LayerNorm gains are not decayed. Changing it while training goes on from the next step (marked on "
        "the loss curve)."
    ),
    "train.grad_clip": (
        "<b>Gradient clipping</b>: when the gradient's overall length (norm) exceeds this, it is scaled "
        "down to it, so one bad batch cannot throw the weights far; off lets every step go its full length. "
        "Changing it while training goes on from the next step (marked on the loss curve)."
    ),
    "train.max_steps": (
        "<b>Training steps</b>: how many optimiser steps the run plans; the learning rate follows a "
        "cosine schedule over them. Raised once the model has trained (or finished), the run goes on without a "
        "reset, past its planned end at the final learning rate (marked on the loss curve); lowered, the model "
        "is rebuilt (Ctrl+Z brings it back)."
    ),
    "train.warmup_steps": (
        "<b>Warm-up</b>: the learning rate rises linearly from zero over these first steps, which keeps "
        "early training stable."
    ),
    "estimates": (
        "Computed from the settings alone, without building the model: parameters are the learned "
        "numbers (embeddings, Q/K/V and output projections, feed-forward weights, layer norms); FLOPs "
        "count the multiply-adds of one forward and backward pass; memory adds weights, optimiser "
        "state and activations."
    ),
    "params": "Number of learned weights. Attention per layer: 4 × n_embd² (Q, K, V and output projection).",
    "flops": "Floating point operations of one training step (forward + backward ≈ 3 × forward).",
    "memory": "Rough memory for one training step: weights, gradients, AdamW state and activations.",
    "play": "Start or pause training (Space). Training runs in the background; the window stays responsive.",
    "step": "Train exactly one step, then pause (Right arrow).",
    "reset": "Start again from step 0, from the same random starting weights as before (the preset's random seed: "
             "change one setting, and only that setting changes the curve; a pretrained model: its pretrained weights "
             "and the same starting classifier head) (Ctrl+R). The trained model is kept: Undo (Ctrl+Z) brings it "
             "back, and the Runs tab lists it.",
    "progress": "Steps done out of the planned training steps.",
    "loss": (
        "<b>Loss</b>: cross-entropy, i.e. how surprised the model is by the right answer. The training "
        "loss is measured on each batch; the validation loss on held-out data every few steps. If "
        "validation rises while training falls, the model is memorising (overfitting)."
    ),
    "accuracy": "Share of validation predictions that are right (tokens, or whole examples for classifiers).",
    "logy": "Show the loss on a logarithmic axis: late, small improvements become visible.",
    "look": "Light or dark, whatever the computer's own look (a dark laptop at a light projector), or as the "
            "computer's again. Exported pictures stay white, as on paper.",
    "settings_panel": "Hide the settings to give the loss curve and the attention views the window's whole width "
                      "(at a large zoom on a projector); F9 again brings them back.",
    "loss_plot": "Hide the loss plot to give the tab below it (Inside attention's figures, Try it, the architecture) "
                 "the window's whole height, at 1280x720 or on a projector; F8 again brings the curves back.",
    "attention": (
        "<b>Attention weights</b> for one fixed probe input: softmax(QKᵀ/√d) — each row is a query token, "
        "each column a key token, and each row sums to 1. One heatmap per layer (rows) and head "
        "(columns). In a decoder the causal mask makes the upper triangle zero. Hover to read a weight; "
        "click a head (then the arrow keys move to the next) to see it large with its tokens."
    ),
    "attention_detail": (
        "The selected head, large. Row = the query token that is looking, column = the key token it "
        "looks at; brightness = how much of the value vector of the key flows into the query's output."
    ),
    "samples": (
        "Text the decoder generates now and then, one token at a time, each time sampling the next token "
        "from its predicted distribution. Watch it go from noise to words to grammar."
    ),
    "compare": (
        "<b>Compare A/B</b> (Ctrl+B): train a copy of these settings (B) beside them (A) to see what one change "
        "does. Change anything in B — a layer more, no residual connections, another learning rate — and both "
        "train from the same start: the same seed, the same batches, and A's initial weights wherever B has a "
        "weight of the same name and shape. Any gap between the curves then comes from your change, not luck."
    ),
    "remeasure": (
        "<b>Measure This Computer Again</b>: how this computer trains fastest was measured and kept: "
        "bfloat16 or float32, the attention path, and how long compiling the step takes and how much it wins "
        "(the status bar's Device shows the choice). Forget it all: the next Reset or new model measures again "
        "(about a second). Use it after changing hardware or drivers, or if the measurement ran while the "
        "computer was busy."
    ),
}


RECENT_KEY = "Ctrl+I"  # Help > Recent Messages
RUNS_TABLE_KEYS = {"rename": "F2", "delete": "Delete"}  # the Runs tab's buttons' keys while its table has the focus
# Keys of both windows (Compare A/B shares the main window's zoom actions)
PRESENTATION_KEY = ("F5", "Presentation mode: everything larger, for a projector")
ZOOM_KEYS = ("Ctrl+= / Ctrl+-", "Zoom in / out (Ctrl++ zooms in too; Ctrl+0: normal size)")

SHORTCUTS: list[tuple[str, str]] = [
    ("Space", "Play / pause training (a button or box you tabbed to: press it)"),
    ("Right", "Train one step (a slider, tab bar or table you tabbed to, or the head grid tabbed to or clicked: "
              "move in it)"),
    ("Ctrl+R", "Reset the weights (start again at step 0)"),
    ("Ctrl+Z", "Undo: bring back the model the last change replaced (again: the one before it)"),
    ("Ctrl+Shift+Z / Ctrl+Y", "Redo: bring back the model the last Undo replaced"),
    ("Ctrl+O", "Open a preset"),
    ("Ctrl+S", "Save the preset"),
    ("Ctrl+Shift+S", "Save the preset as a new file"),
    (RECENT_KEY, "Recent messages: what the status bar said lately, each whole (a click on the bar too)"),
    ("Ctrl+L", "Toggle the logarithmic loss axis"),
    ("Ctrl+B", "Compare A/B: train a changed copy of these settings beside them"),
    ("Esc / Ctrl+W", "Compare A/B: close the comparison (asked first once A and B have trained)"),
    ("Ctrl+E", "Compare A/B: export its loss plot as a PNG or SVG picture (Ctrl+Z there undoes a change of B)"),
    ("Arrow keys", "Move in what you tabbed to: the head grid (clicked too) chooses the next head, the enlarged head "
                   "walks from cell to cell and reads each weight, a slider moves "
                   "(Head roles' timeline: the next snapshot), a tab bar opens the next tab, a table moves between "
                   "cells. Up / Down also move a slider you clicked (Right still trains a step)"),
    ("Page Down / Page Up", "Lesson: next / previous step (a presenter's clicker)"),
    ("Ctrl+Shift+L", "Lesson: add what the window shows as a step"),
    PRESENTATION_KEY,
    ZOOM_KEYS,
    ("F8", "Hide / show the loss plot: the tab below it takes the whole height"),
    ("F9", "Hide / show the settings panel: the views take the whole width"),
    (f"{RUNS_TABLE_KEYS['rename']} / {RUNS_TABLE_KEYS['delete']}",
     "Runs tab: rename / delete the selected run (the table focused; deleting asks first)"),
    ("Ctrl+Tab / Ctrl+Shift+Tab", "Next / previous tab of the views (also Ctrl+Page Down / Ctrl+Page Up)"),
    ("Ctrl+Q", "Quit"),
    ("F1", "Keyboard shortcuts"),
]

COMPARE_SHORTCUTS: list[tuple[str, str]] = [
    ("Space", "Play / pause A and B together"),
    ("Right", "Train A and B one step each"),
    ("Ctrl+R", "Reset both: start again at step 0 (asked first once A and B have trained)"),
    ("Ctrl+E", "Export the loss plot as a PNG or SVG picture"),
    ("Ctrl+Z / Ctrl+Shift+Z / Ctrl+Y", "Undo / redo a change of B's settings (asked first once A and B have "
                                        "trained)"),
    ("F9", "Hide or show B's settings: the plot and the attention grids take the whole width"),
    ("Esc / Ctrl+W", "Close the comparison (asked first once A and B have trained)"),
    PRESENTATION_KEY,
    ZOOM_KEYS,
    ("F1", "These keys (the main window's F1 lists its own)"),
]

ABOUT = (
    "<h3>Transformer Playground</h3>"
    "<p>Drag the sliders to shape a transformer — embedding dimension, heads, layers — train a small "
    "encoder (BERT-like), decoder (GPT-like) or Vision Transformer, and watch the loss fall and the "
    "attention patterns form, live.</p>"
    "<p>Everything runs on your own computer. Each run is saved in its own folder with its preset, "
    "metrics and a checkpoint.</p>"
)
