"""A tiny drawing surface that records shapes once and renders them to PNG (Pillow) or SVG (hand-written).

Every view lays itself out on a Figure with rect / line / circle / text / cells (a heatmap) / image;
`to_image()` paints them with Pillow, `to_svg()` writes the same shapes as SVG elements, so the two
outputs always show the same picture. Text is measured with the TrueType font Pillow finds (DejaVu Sans,
Arial or Pillow's bundled font), and the SVG asks for the same family.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from playground.viz.colors import hex_colour, hex_rgb

FONT_FILES = ("DejaVuSans.ttf", "Arial.ttf", "arial.ttf", "Helvetica.ttc", "LiberationSans-Regular.ttf")
BOLD_FILES = ("DejaVuSans-Bold.ttf", "Arial Bold.ttf", "arialbd.ttf", "LiberationSans-Bold.ttf")
SVG_FONT = "DejaVu Sans, Arial, Helvetica, sans-serif"
SVG_RECT_LIMIT = 1600  # heatmaps with more cells (e.g. 64 x 64) go into the SVG as an embedded pixel image
PAD = 12
TITLE_SIZE, LABEL_SIZE, SMALL = 16, 12, 11  # the figures' text: titles, labels, notes (10: 7-px notes, QA)
INK = "#222222"
MUTED = "#666666"
EXPLAINED = "#444444"  # a figure's explanation under its title: 9.7:1 on white, where MUTED's notes are 5.7:1


@lru_cache(maxsize=64)
def font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """A TrueType font at `size` pixels: a system DejaVu Sans / Arial, else the one bundled with Pillow."""
    for name in BOLD_FILES if bold else FONT_FILES:
        try:
            return ImageFont.truetype(name, size)
        except OSError:
            continue
    if bold:
        return font(size, False)
    return ImageFont.load_default(size=size)


# ASCII stand-ins for the symbols a font may lack (Pillow's bundled font has none of them).
FALLBACKS = {"ᵀ": "^T", "√": "sqrt ", "−": "-", "∞": "inf", "×": "x", "→": "->", "␣": "_", "⏎": "\\n",
             "⇥": "\\t", "␍": "\\r", "∅": "{}", "·": "-"}


@lru_cache(maxsize=256)
def _has_glyph(size: int, bold: bool, char: str) -> bool:
    """Whether the font draws `char` differently from a character it certainly lacks (its 'missing' box)."""
    f = font(size, bold)

    def mask(c: str) -> bytes:
        im = Image.new("L", (size * 3, size * 2))
        ImageDraw.Draw(im).text((2, 2), c, font=f, fill=255)
        return im.tobytes()

    return mask(char) != mask("\uffff")


def drawable(text: str, size: int = 12, bold: bool = False) -> str:
    """`text` on one line with the symbols the font cannot draw replaced by ASCII (e.g. "√" -> "sqrt ");
    control characters (a model's raw prediction may hold any) become visible symbols or '?'."""
    text = show_token(text) if any(c in text for c in "\n\t\r") else text
    text = "".join("?" if ord(c) < 32 or 0x7F <= ord(c) < 0xA0 else c for c in text)
    return "".join(c if c not in FALLBACKS or _has_glyph(size, bold, c) else FALLBACKS[c] for c in text)


def text_width(text: str, size: int, bold: bool = False) -> float:
    return float(font(size, bold).getlength(drawable(text, size, bold)))


def text_metrics(size: int, bold: bool = False) -> tuple[int, int]:
    """(ascent, descent) in pixels."""
    f = font(size, bold)
    return f.getmetrics() if hasattr(f, "getmetrics") else (size, size // 4)


def show_token(text: str) -> str:
    """A token label that stays visible on an axis: spaces and newlines get symbols."""
    if text == "":
        return "∅"
    return text.replace(" ", "␣").replace("\n", "⏎").replace("\t", "⇥").replace("\r", "␍")


LENGTHS = ("x", "y", "w", "h", "x1", "y1", "x2", "y2", "r", "cw", "ch", "width")  # a shape's parameters in pixels
WHOLE = {"text": ("size",), "image": ("w", "h")}  # a font's size and a picture's stay whole pixels


def _scaled(kind: str, op: dict[str, Any], scale: float) -> dict[str, Any]:
    """The parameters of a shape of `kind` for a picture `scale` times larger."""
    out = {key: value * scale if key in LENGTHS else value for key, value in op.items()}
    for key in WHOLE.get(kind, ()):
        out[key] = max(1, round(op[key] * scale))
    return out


def _rgb(colour: str | tuple[int, int, int]) -> tuple[int, int, int]:
    return hex_rgb(colour) if isinstance(colour, str) else tuple(int(c) for c in colour)  # type: ignore[return-value]


def _svg_colour(colour: str | tuple[int, int, int]) -> str:
    return hex_colour(_rgb(colour))


def _num(x: float) -> str:
    return f"{x:.2f}".rstrip("0").rstrip(".")


@dataclass
class Figure:
    """Shapes in pixel coordinates; the size grows to fit what is drawn (plus a margin)."""

    background: str = "#ffffff"
    ops: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    min_width: int = 0
    min_height: int = 0
    _right: float = 0.0
    _bottom: float = 0.0

    # ----- size ------------------------------------------------------------------------------------
    def _extend(self, x: float, y: float) -> None:
        self._right = max(self._right, x)
        self._bottom = max(self._bottom, y)

    @property
    def width(self) -> int:
        return int(max(self.min_width, np.ceil(self._right + PAD)))

    @property
    def height(self) -> int:
        return int(max(self.min_height, np.ceil(self._bottom + PAD)))

    # ----- shapes ----------------------------------------------------------------------------------
    def rect(self, x: float, y: float, w: float, h: float, fill: str | tuple | None = None,
             outline: str | None = None, width: float = 1.0) -> None:
        self.ops.append(("rect", dict(x=x, y=y, w=w, h=h, fill=fill, outline=outline, width=width)))
        self._extend(x + w, y + h)

    def line(self, x1: float, y1: float, x2: float, y2: float, colour: str = INK, width: float = 1.0,
             opacity: float = 1.0) -> None:
        self.ops.append(("line", dict(x1=x1, y1=y1, x2=x2, y2=y2, colour=colour, width=width,
                                      opacity=float(np.clip(opacity, 0.0, 1.0)))))
        self._extend(max(x1, x2), max(y1, y2))

    def circle(self, x: float, y: float, r: float, fill: str = INK, opacity: float = 1.0) -> None:
        self.ops.append(("circle", dict(x=x, y=y, r=r, fill=fill, opacity=float(np.clip(opacity, 0, 1)))))
        self._extend(x + r, y + r)

    def text(self, x: float, y: float, s: str, size: int = 12, colour: str = INK, anchor: str = "lt",
             bold: bool = False, rotate: bool = False) -> tuple[float, float]:
        """Text at (x, y). anchor: Pillow's two letters, horizontal l/m/r then vertical t/m/b.

        rotate=True turns it 90 degrees counter-clockwise (reading upwards); the anchor then refers to the
        text's own frame: "lm" puts its start at (x, y) going up, "rm" its end at (x, y) hanging below.
        Returns the (width, height) the text occupies on the page.
        """
        s = drawable(s, size, bold)
        w = text_width(s, size, bold)
        ascent, descent = text_metrics(size, bold)
        h = ascent + descent
        self.ops.append(("text", dict(x=x, y=y, s=s, size=size, colour=colour, anchor=anchor, bold=bold,
                                      rotate=rotate)))
        dx = {"l": 0.0, "m": -w / 2, "r": -w}[anchor[0]]
        dy = {"t": 0.0, "m": -h / 2, "b": -h}[anchor[1]]
        if rotate:  # the text's along-axis runs upwards from (x, y)
            self._extend(x + h / 2, y + (-dx if anchor[0] != "l" else 0.0))
        else:
            self._extend(x + dx + w, y + dy + h)
        return (h, w) if rotate else (w, h)

    def cells(self, x: float, y: float, rgb: np.ndarray, cell_w: float, cell_h: float,
              outline: str | None = None) -> None:
        """A heatmap: rgb (rows, cols, 3) uint8, each value a cell_w x cell_h rectangle; row 0 at the top."""
        rgb = np.asarray(rgb, dtype=np.uint8)
        self.ops.append(("cells", dict(x=x, y=y, rgb=rgb, cw=cell_w, ch=cell_h, outline=outline)))
        self._extend(x + rgb.shape[1] * cell_w, y + rgb.shape[0] * cell_h)

    def image(self, x: float, y: float, w: int, h: int, rgb: np.ndarray, smooth: bool = False) -> None:
        """A picture (H, W, 3) uint8 scaled to w x h pixels (nearest neighbour unless smooth)."""
        self.ops.append(("image", dict(x=x, y=y, w=int(w), h=int(h), rgb=np.asarray(rgb, dtype=np.uint8),
                                       smooth=smooth)))
        self._extend(x + w, y + h)

    # ----- PNG -------------------------------------------------------------------------------------
    def to_image(self, scale: float = 1.0) -> Image.Image:
        """The figure in pixels, `scale` of them to a figure pixel (2 for a HiDPI screen, whose text is that sharp)."""
        size = (round(self.width * scale), round(self.height * scale))
        img = Image.new("RGB", size, _rgb(self.background))
        draw = ImageDraw.Draw(img, "RGBA")
        for kind, op in self.ops:
            getattr(self, f"_png_{kind}")(img, draw, **(op if scale == 1 else _scaled(kind, op, scale)))
        return img

    def to_png(self) -> bytes:
        buffer = io.BytesIO()
        self.to_image().save(buffer, format="PNG", optimize=True)
        return buffer.getvalue()

    @staticmethod
    def _png_rect(img, draw, x, y, w, h, fill, outline, width):  # noqa: ANN001
        if w <= 0 or h <= 0:
            return
        x0, y0 = round(x), round(y)
        box = [x0, y0, max(x0, round(x + w) - 1), max(y0, round(y + h) - 1)]
        draw.rectangle(box, fill=_rgb(fill) if fill is not None else None,
                       outline=_rgb(outline) if outline else None, width=max(1, round(width)))

    @staticmethod
    def _png_line(img, draw, x1, y1, x2, y2, colour, width, opacity):  # noqa: ANN001
        draw.line([(x1, y1), (x2, y2)], fill=(*_rgb(colour), round(255 * opacity)), width=max(1, round(width)))

    @staticmethod
    def _png_circle(img, draw, x, y, r, fill, opacity):  # noqa: ANN001
        draw.ellipse([x - r, y - r, x + r, y + r], fill=(*_rgb(fill), round(255 * opacity)))

    @staticmethod
    def _png_text(img, draw, x, y, s, size, colour, anchor, bold, rotate):  # noqa: ANN001
        f = font(size, bold)
        if not rotate:
            vertical = {"t": "a", "m": "m", "b": "d"}[anchor[1]]  # ascender top / middle / descender bottom
            draw.text((x, y), s, fill=_rgb(colour), font=f, anchor=anchor[0] + vertical)
            return
        w = int(np.ceil(text_width(s, size, bold))) + 2
        ascent, descent = text_metrics(size, bold)
        h = ascent + descent
        tile = Image.new("RGBA", (w, h), (0, 0, 0, 0))
        ImageDraw.Draw(tile).text((1, h / 2), s, fill=(*_rgb(colour), 255), font=f, anchor="lm")
        turned = tile.rotate(90, expand=True)  # (h, w): the text's start is now at the bottom
        along = {"l": 0.0, "m": w / 2, "r": float(w)}[anchor[0]]
        left = round(x - h / 2)
        top = round(y - w + along)
        img.paste(turned, (left, top), turned)

    @staticmethod
    def _png_cells(img, draw, x, y, rgb, cw, ch, outline):  # noqa: ANN001
        rows, cols = rgb.shape[:2]
        xs = np.round(x + np.arange(cols + 1) * cw).astype(int)
        ys = np.round(y + np.arange(rows + 1) * ch).astype(int)
        width, height = xs[-1] - xs[0], ys[-1] - ys[0]
        if width <= 0 or height <= 0:
            return
        col_index = np.repeat(np.arange(cols), np.diff(xs))
        row_index = np.repeat(np.arange(rows), np.diff(ys))
        block = rgb[row_index][:, col_index]
        img.paste(Image.fromarray(np.ascontiguousarray(block), "RGB"), (int(xs[0]), int(ys[0])))
        if outline:
            draw.rectangle([xs[0], ys[0], xs[-1] - 1, ys[-1] - 1], outline=_rgb(outline))

    @staticmethod
    def _png_image(img, draw, x, y, w, h, rgb, smooth):  # noqa: ANN001
        picture = Image.fromarray(np.ascontiguousarray(rgb), "RGB").resize(
            (w, h), Image.Resampling.BILINEAR if smooth else Image.Resampling.NEAREST)
        img.paste(picture, (round(x), round(y)))

    # ----- SVG -------------------------------------------------------------------------------------
    def to_svg(self) -> str:
        out = [
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{self.width}" height="{self.height}" '
            f'viewBox="0 0 {self.width} {self.height}" font-family="{SVG_FONT}">',
            f'<rect x="0" y="0" width="{self.width}" height="{self.height}" fill="{_svg_colour(self.background)}"/>',
        ]
        for kind, op in self.ops:
            out.append(getattr(self, f"_svg_{kind}")(**op))
        out.append("</svg>")
        return "\n".join(out) + "\n"

    @staticmethod
    def _svg_rect(x, y, w, h, fill, outline, width):  # noqa: ANN001
        fill_attr = _svg_colour(fill) if fill is not None else "none"
        stroke = f' stroke="{_svg_colour(outline)}" stroke-width="{_num(width)}"' if outline else ""
        return f'<rect x="{_num(x)}" y="{_num(y)}" width="{_num(w)}" height="{_num(h)}" fill="{fill_attr}"{stroke}/>'

    @staticmethod
    def _svg_line(x1, y1, x2, y2, colour, width, opacity):  # noqa: ANN001
        return (f'<line x1="{_num(x1)}" y1="{_num(y1)}" x2="{_num(x2)}" y2="{_num(y2)}" '
                f'stroke="{_svg_colour(colour)}" stroke-width="{_num(width)}" stroke-opacity="{opacity:.3f}" '
                f'stroke-linecap="round"/>')

    @staticmethod
    def _svg_circle(x, y, r, fill, opacity):  # noqa: ANN001
        return f'<circle cx="{_num(x)}" cy="{_num(y)}" r="{_num(r)}" fill="{_svg_colour(fill)}" fill-opacity="{opacity:.3f}"/>'

    @staticmethod
    def _svg_text(x, y, s, size, colour, anchor, bold, rotate):  # noqa: ANN001
        ascent, descent = text_metrics(size, bold)
        # SVG places text on its baseline: shift from Pillow's top / middle / bottom anchors.
        shift = {"t": ascent, "m": (ascent - descent) / 2, "b": -descent}[anchor[1] if not rotate else "m"]
        text_anchor = {"l": "start", "m": "middle", "r": "end"}[anchor[0]]
        weight = ' font-weight="bold"' if bold else ""
        turn = f' transform="rotate(-90 {_num(x)} {_num(y)})"' if rotate else ""
        return (f'<text x="{_num(x)}" y="{_num(y + shift)}" font-size="{size}" fill="{_svg_colour(colour)}" '
                f'text-anchor="{text_anchor}"{weight}{turn} xml:space="preserve">{escape(s)}</text>')

    @staticmethod
    def _svg_cells(x, y, rgb, cw, ch, outline):  # noqa: ANN001
        rows, cols = rgb.shape[:2]
        parts = ["<g>"]
        if rows * cols <= SVG_RECT_LIMIT:
            for r in range(rows):
                for c in range(cols):
                    colour = hex_colour(rgb[r, c])
                    # a hair wider than the cell, so anti-aliasing leaves no seams between neighbours
                    parts.append(f'<rect x="{_num(x + c * cw)}" y="{_num(y + r * ch)}" width="{_num(cw + 0.3)}" '
                                 f'height="{_num(ch + 0.3)}" fill="{colour}"/>')
        else:
            buffer = io.BytesIO()
            Image.fromarray(np.ascontiguousarray(rgb), "RGB").save(buffer, format="PNG")
            data = base64.b64encode(buffer.getvalue()).decode("ascii")
            parts.append(f'<image x="{_num(x)}" y="{_num(y)}" width="{_num(cols * cw)}" height="{_num(rows * ch)}" '
                         f'preserveAspectRatio="none" style="image-rendering:pixelated" '
                         f'href="data:image/png;base64,{data}"/>')
        if outline:
            parts.append(f'<rect x="{_num(x)}" y="{_num(y)}" width="{_num(cols * cw)}" height="{_num(rows * ch)}" '
                         f'fill="none" stroke="{_svg_colour(outline)}" stroke-width="1"/>')
        parts.append("</g>")
        return "\n".join(parts)

    @staticmethod
    def _svg_image(x, y, w, h, rgb, smooth):  # noqa: ANN001
        buffer = io.BytesIO()
        Image.fromarray(np.ascontiguousarray(rgb), "RGB").save(buffer, format="PNG")
        data = base64.b64encode(buffer.getvalue()).decode("ascii")
        rendering = "" if smooth else ' style="image-rendering:pixelated"'
        return (f'<image x="{_num(x)}" y="{_num(y)}" width="{w}" height="{h}" preserveAspectRatio="none"{rendering} '
                f'href="data:image/png;base64,{data}"/>')

    # ----- files -----------------------------------------------------------------------------------
    def save(self, path: str | Path) -> Path:
        """Write .png or .svg (atomically) by the file's extension."""
        from playground.core.atomic import atomic_write_bytes, atomic_write_text

        path = Path(path)
        suffix = path.suffix.lower()
        if suffix == ".png":
            atomic_write_bytes(path, self.to_png())
        elif suffix == ".svg":
            atomic_write_text(path, self.to_svg())
        else:
            raise ValueError(f"cannot write {path.name}: a figure is saved as .png or .svg")
        return _readable(path)


def _readable(path: Path) -> Path:
    """Atomic writes create the file private (0600); a figure for slides gets the usual umask rights."""
    import os

    umask = os.umask(0)
    os.umask(umask)
    os.chmod(path, 0o666 & ~umask)
    return path


def save_gif(figures: list[Figure], path: str | Path, frame_ms: int = 500, last_frame_ms: int = 2000,
             progress: Callable[[int, int], None] | None = None) -> Path:
    """An animated GIF, one frame per figure (padded to the largest), looping; the last frame lingers.
    `progress(done, total)` is called as the frames are painted, then as they are reduced to the GIF's palette
    (total: twice the frames); an exception it raises stops the export with nothing written."""
    from playground.core.atomic import atomic_write_bytes

    if not figures:
        raise ValueError("no frames to write: the GIF needs at least one snapshot")
    total = 2 * len(figures)
    report = progress or (lambda done, total: None)
    images = []
    for fig in figures:
        images.append(fig.to_image())
        report(len(images), total)
    width = max(i.width for i in images)
    height = max(i.height for i in images)
    frames = []
    for image in images:
        if image.size != (width, height):
            canvas = Image.new("RGB", (width, height), (255, 255, 255))
            canvas.paste(image, (0, 0))
            image = canvas
        frames.append(image.convert("P", palette=Image.Palette.ADAPTIVE, colors=255))
        report(len(images) + len(frames), total)
    durations = [frame_ms] * (len(frames) - 1) + [last_frame_ms]
    buffer = io.BytesIO()
    frames[0].save(buffer, format="GIF", save_all=True, append_images=frames[1:], duration=durations, loop=0,
                   optimize=False, disposal=1)
    atomic_write_bytes(Path(path), buffer.getvalue())
    return _readable(Path(path))
