"""The GPU code paths, exercised where no GPU is: device, precision and attention choices with torch.cuda's
answers mocked, the MFU arithmetic against published figures, and the training paths on PLAYGROUND_TEST_DEVICE
(the CPU here; CUDA when scripts/gpu_check.sh runs this file on a GPU machine)."""

from __future__ import annotations

import math

import pytest
import torch
from conftest import TEST_DEVICE, TINY_MODEL

from playground.bench.hardware import peak_matmul, utilisation
from playground.core.estimates import count_parameters, flops_per_step
from playground.core.spec import ModelSpec, RunSpec, TrainSpec, make_spec
from playground.data.base import DataInfo
from playground.training import device
from playground.training.events import MetricsEvent
from playground.training.fastpath import choose
from playground.training.session import TrainingSession

pytestmark = pytest.mark.usefixtures("fresh_capability_cache")


def a_gpu(monkeypatch, name: str = "NVIDIA H200", bf16: bool = True) -> None:
    """torch.cuda answers as on a machine with this GPU (only what the placement asks)."""
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda device=None: name)
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *args, **kwargs: bf16)


def no_cpu_measurement(monkeypatch) -> None:
    """A GPU placement must not measure the CPU (a second of matmuls for nothing)."""
    def refuse(refresh: bool = False):
        raise AssertionError("the CPU was measured for a GPU run")

    monkeypatch.setattr(device, "cpu_capability", refuse)


# ----- device, precision and attention choices ----------------------------------------------------------
def test_auto_picks_the_gpu_when_one_is_visible(monkeypatch):
    a_gpu(monkeypatch)
    assert device.resolve_device("auto") == torch.device("cuda")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    assert device.resolve_device("auto") == torch.device("cpu")


def test_a_gpu_run_trains_in_bfloat16_with_fused_attention_and_says_which_gpu(monkeypatch):
    a_gpu(monkeypatch, "NVIDIA H200")
    no_cpu_measurement(monkeypatch)
    placement = choose.place(RunSpec(train=TrainSpec()))  # the session's entry: device "auto", precision "auto"
    assert (placement.device, placement.dtype, placement.attention) == (torch.device("cuda"), torch.bfloat16, "sdpa")
    assert placement.autocast
    assert placement.description == "CUDA: NVIDIA H200, bfloat16, fused attention"


def test_a_gpu_without_bfloat16_keeps_float32_and_the_users_choice_wins(monkeypatch):
    a_gpu(monkeypatch, "Tesla T4", bf16=False)
    no_cpu_measurement(monkeypatch)
    old = choose.place(RunSpec(train=TrainSpec()))
    assert old.dtype == torch.float32 and not old.autocast
    assert old.description == "CUDA: Tesla T4, float32, fused attention"
    assert choose.place(RunSpec(train=TrainSpec(precision="bf16"))).dtype == torch.bfloat16
    a_gpu(monkeypatch, "NVIDIA H200")
    assert choose.place(RunSpec(train=TrainSpec(precision="fp32"))).dtype == torch.float32


def test_the_status_bar_text_of_a_gpu_step_names_the_gpu(monkeypatch):
    """The window's device label and the bench's path column are the step's device_description."""
    a_gpu(monkeypatch, "NVIDIA H200")
    no_cpu_measurement(monkeypatch)
    placement = choose.place(RunSpec(train=TrainSpec(device="cuda")))
    model = torch.nn.Linear(4, 4)
    step = choose.make_step(model, torch.optim.AdamW(model.parameters()), placement, 1.0,
                            lambda batch: (torch.zeros(()), torch.zeros(())), compile_mode="off")
    assert step.device_description() == "CUDA: NVIDIA H200, bfloat16, fused attention"


def test_compiling_on_a_gpu_needs_triton_and_pays_for_heavy_runs_only(monkeypatch):
    monkeypatch.delenv("PLAYGROUND_COMPILE", raising=False)
    monkeypatch.setattr(choose, "compiler_available", lambda target: target.type == "cuda")
    cuda = torch.device("cuda")
    assert choose.should_compile("auto", cuda, flops_per_step=1e11, max_steps=1000)  # 1e14 FLOPs of work
    assert not choose.should_compile("auto", cuda, flops_per_step=1e6, max_steps=100)
    assert not choose.should_compile("off", cuda, flops_per_step=1e11, max_steps=1000)
    monkeypatch.setattr(choose, "compiler_available", lambda target: False)  # no Triton
    assert not choose.should_compile("on", cuda, flops_per_step=1e11, max_steps=1000)


# ----- which attention kernel runs -------------------------------------------------------------------------
def fused_attention(names: list[str]) -> list[str]:
    """The fused kernels SDPA chose (FlashAttention, memory-efficient, cuDNN; on a CPU its flash kernel)."""
    return [n for n in names if "scaled_dot_product" in n and any(k in n for k in ("flash", "efficient", "cudnn"))]


def ops_of_a_forward(session: TrainingSession, need_weights: bool) -> list[str]:
    """The ATen operators one training-mode forward runs, as the profiler names them ("aten::_softmax")."""
    batch = session.dataset.batch("train", 4, torch.Generator().manual_seed(0)).to(session.placement.device)
    session.model.train()
    with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU]) as prof:
        with session.placement.autocast_context():
            session.model(batch.x, batch.mask, output_attentions=need_weights)
    return [event.name for event in prof.events()]


ATTENTION_CASES = {  # family, data, model fields: causal without padding, padded, images
    "decoder": ("decoder", "zen", {"block_size": 16}),
    "encoder-padded": ("encoder", "sentiment", {"block_size": 12}),
    "vit": ("vit", "digits", {"image_size": 8, "patch_size": 2}),
}


@pytest.mark.slow
@pytest.mark.parametrize("case", ATTENTION_CASES)
def test_training_runs_the_fused_attention_kernel_and_only_the_views_form_the_weights(case):
    family, data, model = ATTENTION_CASES[case]
    spec = make_spec({"model": {**TINY_MODEL, "family": family, **model}, "data": {"name": data},
                      "train": {"device": TEST_DEVICE, "precision": "bf16", "compile": "off", "batch_size": 4}})
    session = TrainingSession(spec)
    session.model.set_attention_impl("sdpa")  # what a GPU placement chooses (tested above)
    training = ops_of_a_forward(session, need_weights=False)
    assert len(fused_attention(training)) == spec.model.n_layer, training
    assert "aten::softmax" not in training  # no (T, T) weights formed
    if case != "encoder-padded" and session.placement.device.type == "cuda":
        # No padding mask: the flash kernels (FlashAttention, or cuDNN's, its Hopper equivalent) take it.
        assert all("flash" in n or "cudnn" in n for n in fused_attention(training)), training
    viewed = ops_of_a_forward(session, need_weights=True)
    assert not fused_attention(viewed) and viewed.count("aten::softmax") == spec.model.n_layer


# ----- model FLOPs and MFU against published figures ------------------------------------------------
GPT2_SMALL = ModelSpec(family="decoder", n_embd=768, n_head=12, n_layer=12, d_ff=3072, block_size=1024)
GPT2_VOCAB = DataInfo(name="gpt2", title="GPT-2", task="lm", vocab_size=50257, n_classes=50257)


def nanogpt_flops_per_token(n_params: int, m: ModelSpec) -> float:
    """nanoGPT's estimate_mfu (after PaLM, appendix B): 6N + 12 L H Q T, N without the position table."""
    non_embedding = n_params - m.block_size * m.n_embd
    return 6 * non_embedding + 12 * m.n_layer * m.n_head * m.head_dim * m.block_size


def test_gpt2_small_has_its_published_parameter_count_and_palms_flops_per_token():
    n = count_parameters(GPT2_SMALL, GPT2_VOCAB)
    assert n == 124_439_808  # GPT-2 small, as Hugging Face's GPT2LMHeadModel counts it (lm_head tied)
    run = RunSpec(model=GPT2_SMALL, train=TrainSpec(batch_size=1))
    per_token = flops_per_step(run, GPT2_VOCAB) / GPT2_SMALL.block_size
    # Ours counts matmul weights only; 6N counts the biases and LayerNorms too (0.1 % of N here).
    assert per_token == pytest.approx(nanogpt_flops_per_token(n, GPT2_SMALL), rel=1e-3)


def test_mfu_is_nanogpts_for_the_same_model_step_time_and_gpu(monkeypatch):
    """nanoGPT's estimate_mfu on an A100 (312 TFLOP/s bf16) and the bench's on an H200 (989.4; 835.5 for the
    NVL card), from the GPU's name as torch.cuda reports it."""
    batch, step_s = 12, 0.35
    run = RunSpec(model=GPT2_SMALL, train=TrainSpec(batch_size=batch))
    flops = flops_per_step(run, GPT2_VOCAB)
    nano = nanogpt_flops_per_token(count_parameters(GPT2_SMALL, GPT2_VOCAB), GPT2_SMALL) * 1024 * batch
    for name, datasheet in (("NVIDIA A100-SXM4-80GB", 312e12), ("NVIDIA H200", 989.4e12), ("NVIDIA H200 NVL", 835.5e12)):
        monkeypatch.setattr(torch.cuda, "get_device_name", lambda device=None, name=name: name)
        peak = peak_matmul(torch.device("cuda"), torch.bfloat16)
        assert peak.flops_per_s == datasheet and "datasheet bf16" in peak.source
        mfu = utilisation(flops, step_s, reference_step_s=2 * step_s, peak=peak)["mfu"]
        assert mfu == pytest.approx(nano / step_s / datasheet, rel=1e-3)


def test_the_larger_decoder_needs_a_step_under_a_known_time_for_40_percent_mfu_on_an_h200(monkeypatch):
    """Issue 26's target, as a step time: the bench's larger decoder shape, its FLOPs by the formula, at 40 %
    of the H200's dense bf16 peak."""
    from playground.bench.run import LARGE, PRESETS
    from playground.core.presets import load_preset
    from playground.data import describe

    spec = load_preset(PRESETS["decoder"]).updated(LARGE["decoder"])
    m = spec.model
    assert (m.n_layer, m.n_head, m.n_embd, m.block_size, spec.train.batch_size) == (6, 6, 384, 256, 64)
    info = describe(spec.data, spec.model)
    flops = flops_per_step(spec, info)
    tokens = 64 * 256
    matmul_weights = 6 * (4 * 384 * 384 + 2 * 384 * m.d_ff) + info.vocab_size * 384
    assert flops == 6 * matmul_weights * tokens + 12 * 6 * 256 * 384 * tokens
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda device=None: "NVIDIA H200")
    peak = peak_matmul(torch.device("cuda"), torch.bfloat16)
    step_at_40 = flops / (0.4 * peak.flops_per_s)
    assert utilisation(flops, step_at_40, 1.0, peak)["mfu"] == pytest.approx(0.4)
    assert utilisation(flops, 2 * step_at_40, 1.0, peak)["mfu"] == pytest.approx(0.2)
    assert 1e-3 < step_at_40 < 1e-2  # a few milliseconds: every step's overhead on the host counts


# ----- the training paths on the test device --------------------------------------------------------
FAMILIES = {
    "decoder": ("decoder", "zen", {"block_size": 16}),
    "encoder": ("encoder", "reverse", {"block_size": 8}),
    "vit": ("vit", "digits", {"image_size": 8, "patch_size": 2}),
}


def device_spec(family: str, **train) -> RunSpec:
    family, data, model = FAMILIES[family]
    return make_spec({"model": {**TINY_MODEL, "family": family, **model}, "data": {"name": data},
                      "train": {"device": TEST_DEVICE, "batch_size": 16, "lr": 1e-2, "warmup_steps": 1,
                                "max_steps": 30, "eval_interval": 15, "eval_batches": 1, "snapshot_interval": 15,
                                "sample_interval": 1000, "checkpoint_interval": 1000, "compile": "off", **train}})


def curve(session: TrainingSession, steps: int | None = None) -> list[float]:
    return [e.train_loss for e in session.run(steps) if isinstance(e, MetricsEvent)]


@pytest.mark.slow
@pytest.mark.parametrize("family", FAMILIES)
def test_each_family_trains_on_the_test_device_and_the_views_get_host_arrays(family):
    session = TrainingSession(device_spec(family))
    assert session.placement.device.type == torch.device(TEST_DEVICE).type
    assert all(p.device.type == session.placement.device.type for p in session.model.parameters())
    losses = curve(session)
    assert len(losses) == 30 and all(math.isfinite(x) for x in losses)
    if family == "decoder":  # the one that learns visibly in 30 steps (test_session trains each family longer)
        assert sum(losses[-5:]) / 5 < 0.9 * sum(losses[:3]) / 3, losses
    val_loss, _, _ = session.evaluate()
    assert math.isfinite(val_loss)
    snap = session.snapshot()  # numpy on the host, whatever the device
    assert snap.weights.shape[:2] == (TINY_MODEL["n_layer"], TINY_MODEL["n_head"])
    assert abs(snap.weights.sum(-1) - 1).max() < 1e-2  # rows of softmax weights


@pytest.mark.slow
def test_a_run_resumed_on_the_test_device_continues_the_same_curve(tmp_path):
    spec = device_spec("decoder", max_steps=8, precision="fp32")
    straight = curve(TrainingSession(spec))
    first = TrainingSession(spec, run_dir=tmp_path / "run")
    head = curve(first, 4)
    folder = first.save()
    first.close()
    resumed = TrainingSession.resume(folder)
    assert resumed.placement.device.type == torch.device(TEST_DEVICE).type
    assert head + curve(resumed) == pytest.approx(straight, rel=1e-5)


@pytest.mark.slow
@pytest.mark.xdist_group("compiled")
def test_the_compiled_step_on_the_test_device_takes_the_eager_steps(monkeypatch):
    """fp32, so both paths round alike (within float reassociation); on a GPU this is the Triton step."""
    import warnings

    from playground.training.fastpath.compiled import CompileFallbackWarning

    # test_step's one-layer TINY (its batch, clipping and AdamW settings): on the CPU, the graph the suite's other
    # compiled tests compile, found in the cache.
    spec = device_spec("decoder", max_steps=4, precision="fp32", batch_size=8).updated({"model.n_layer": 1})
    eager = curve(TrainingSession(spec))
    compiled_session = TrainingSession(spec.updated({"train.compile": "on"}))
    assert compiled_session._step_fn.compiled
    with warnings.catch_warnings():
        warnings.simplefilter("error", CompileFallbackWarning)
        compiled = curve(compiled_session)
    assert compiled_session._step_fn.compiled  # it did not fall back
    assert compiled == pytest.approx(eager, rel=1e-4)


@pytest.mark.parametrize("name", ["cuda", "mps"])
def test_a_device_this_machine_lacks_is_refused_in_one_line_in_the_same_words(name, monkeypatch):
    """CLI QA: "--device cuda" was told "use --device cpu or auto", "--device mps" "use cpu or auto"."""
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    with pytest.raises(device.DeviceError, match=rf"^device '{name}' was asked for but [^\n]*: use --device cpu or "
                                                 r"auto \(train.device in a preset\)$") as err:
        device.resolve_device(name)
    assert len(str(err.value)) < 300
