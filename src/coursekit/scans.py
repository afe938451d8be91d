"""Real scans that ship inside Python packages, so that they load offline, and the steps from a
stored scan to the course's images.

* :func:`mri_template`: the MNI152 T1-weighted brain MRI template that nilearn ships, a
  :class:`Volume` (voxels and the affine that places them in millimetres).
* :func:`slices`: a volume cut into 2D images of one plane (axial, coronal or sagittal),
  oriented as nilearn draws them, padded to squares: ``(N, 1, S, S)`` float32 in [0, 1],
  ready for the degradations of :mod:`coursekit.degrade`.
* :func:`dicom_example`: one of the DICOM files that pydicom ships (``CT_small.dcm``,
  ``MR_small.dcm``, ...), read with ``pydicom.dcmread``.
* :func:`hounsfield`: a CT image's stored values rescaled to Hounsfield units (air -1000,
  water 0, bone several hundred and more).
* :func:`window`: the DICOM linear window (centre, width), which maps the values a reader
  looks at onto [0, 1]; :data:`CT_WINDOWS` the usual ones. :func:`unwindow` maps [0, 1] back
  into the window's units (HU), so that an image scaled with one fixed window, a restored one
  say, can be read in HU again.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from .checks import check_positive_int, is_real

__all__ = ["Volume", "mri_template", "slices", "PLANES", "dicom_example", "hounsfield", "window", "unwindow",
           "CT_WINDOWS"]

PLANES = ("axial", "coronal", "sagittal")

# (centre, width) in Hounsfield units, as radiology departments commonly set them
CT_WINDOWS = {"brain": (40, 80), "soft tissue": (40, 400), "lung": (-600, 1500), "bone": (400, 1800)}


@dataclass(frozen=True)
class Volume:
    """A 3D scan: ``data`` ``(X, Y, Z)`` float32 tensor of voxel values, and ``affine`` ``(4, 4)``
    float64 array that maps a voxel index ``(i, j, k, 1)`` to millimetres ``(x, y, z, 1)`` in RAS
    coordinates (x to the patient's right, y to the front, z up)."""
    data: torch.Tensor
    affine: np.ndarray

    @property
    def spacing(self) -> tuple[float, float, float]:
        """The size of a voxel along each axis, in millimetres."""
        return tuple(float(v) for v in np.linalg.norm(self.affine[:3, :3], axis=0))


def mri_template(resolution: int = 2) -> Volume:
    """The MNI152 T1-weighted template (ICBM 2009, the average of 152 adults' brain MRIs, skull
    removed) that nilearn ships: ``resolution`` 1 or 2 mm voxels, ``(197, 233, 189)`` or
    ``(99, 117, 95)``. Voxel values divided by the largest, so they lie in [0, 1]; values below
    1e-6 (about 1e-16 where nilearn's resampling left them) set to 0, so that the background is
    exactly 0. No download."""
    from nilearn.datasets import load_mni152_template

    if resolution not in (1, 2):
        raise ValueError(f"resolution must be 1 or 2 (mm per voxel); got {resolution!r}")
    img = load_mni152_template(resolution=resolution)
    data = np.asarray(img.get_fdata(), dtype=np.float64)
    data = np.clip(data / data.max(), 0.0, 1.0)
    data[data < 1e-6] = 0.0
    return Volume(torch.from_numpy(data).float(), np.asarray(img.affine, dtype=np.float64))


def _check_ras(volume: Volume) -> None:
    if not isinstance(volume, Volume):
        raise TypeError(f"volume: expected a coursekit.scans.Volume, as mri_template() returns; got "
                        f"{type(volume).__name__}")
    a = volume.affine[:3, :3]
    if not (np.allclose(a, np.diag(np.diag(a))) and (np.diag(a) > 0).all()):
        raise ValueError("volume: its affine is not a positive diagonal (voxel axes along x, y and z, in that "
                         "order and direction), so 'axial' would not mean axial; reorient it first, e.g. with "
                         "nilearn.image.reorder_img")


def slices(volume: Volume, plane: str = "axial", min_foreground: float = 0.1, size: int | None = None,
           threshold: float = 0.1) -> torch.Tensor:
    """Every slice of ``volume`` in ``plane`` with at least ``min_foreground`` of its pixels
    above ``threshold`` (the empty slices at the edges are dropped), as ``(N, 1, S, S)`` float32.

    Oriented as nilearn plots them: axial slices with the front of the head at the top and the
    patient's left on the left; coronal and sagittal slices with the top of the head at the top
    (coronal: patient's left on the left; sagittal: the front on the right). Each slice is padded
    with zeros, equally on both sides, to a square ``S`` = the volume's longest side in voxels (the
    same ``S`` for every plane), then resized to ``size`` pixels a side (antialiased bilinear) when
    ``size`` is given. So a voxel covers the same number of pixels in every plane: a network trained
    on axial slices and applied to coronal ones meets anatomy at the scale it learnt (padding each
    plane to its own longer side made the template's coronal pixels 3.1 mm and its axial ones 3.6 mm
    at 64 pixels).
    """
    _check_ras(volume)
    if plane not in PLANES:
        raise ValueError(f"plane must be one of {PLANES}; got {plane!r}")
    _check_foreground(min_foreground, threshold)
    d = volume.data
    # rows of the image: y (axial) or z (coronal, sagittal), flipped so that it grows upwards
    stack = {"axial": d.permute(2, 1, 0), "coronal": d.permute(1, 2, 0), "sagittal": d.permute(0, 2, 1)}[plane]
    stack = stack.flip(1)
    keep = (stack > threshold).float().mean(dim=(1, 2)) >= min_foreground
    return _square(stack[keep], max(d.shape), size)


def _check_foreground(min_foreground, threshold) -> None:
    """The arguments that decide which slices :func:`slices` keeps."""
    if not (is_real(min_foreground) and 0 <= min_foreground <= 1):
        raise ValueError(f"min_foreground (the share of a slice's pixels above threshold) must be in [0, 1]; "
                         f"got {min_foreground!r}")
    if not (is_real(threshold) and np.isfinite(threshold)):
        raise ValueError(f"threshold (the value above which a pixel counts as foreground) must be a finite "
                         f"number; got {threshold!r}")


def _square(stack: torch.Tensor, s: int, size: int | None) -> torch.Tensor:
    """Slices ``(N, H, W)`` padded with zeros, equally on both sides, to ``(N, 1, s, s)``, then
    resized to ``size`` pixels a side (antialiased bilinear, clipped to [0, 1]) when given."""
    h, w = stack.shape[1:]
    top, left = (s - h) // 2, (s - w) // 2
    out = F.pad(stack, (left, s - w - left, top, s - h - top)).unsqueeze(1).contiguous()
    if size is not None:
        size = check_positive_int(size, "size")
        out = F.interpolate(out, size=(size, size), mode="bilinear", align_corners=False,
                            antialias=size < s).clamp(0, 1)
    return out


def dicom_example(name: str = "CT_small.dcm"):
    """One of the DICOM files that ship inside pydicom (``CT_small.dcm``: a 128 x 128 crop (85 mm)
    of a 339 mm CT reconstruction, which shows lung, fat, muscle, a contrast-filled aorta and a
    vertebra, but no air; its ImagePositionPatient was not updated for the crop; ``MR_small.dcm``:
    a 64x64 MR slice; ...), read with ``pydicom.dcmread``: a
    ``pydicom.Dataset`` whose elements are the header and whose ``pixel_array`` is the image."""
    import pydicom
    from pydicom.data import get_testdata_file

    path = get_testdata_file(name) if isinstance(name, str) else None
    if path is None:
        raise ValueError(f"pydicom ships no example DICOM file named {name!r}; try 'CT_small.dcm' or "
                         "'MR_small.dcm'")
    return pydicom.dcmread(path)


def hounsfield(ds) -> torch.Tensor:
    """A CT image in Hounsfield units: ``(H, W)`` float32 ``pixel_array * RescaleSlope +
    RescaleIntercept`` (the stored integers are a linear code for HU: CT_small.dcm stores
    ``HU + 1024``). Refuses a dataset of another modality, whose values are not HU."""
    modality = getattr(ds, "Modality", None)
    if modality != "CT":
        raise ValueError(f"hounsfield: Hounsfield units are a CT scale; this dataset's Modality is {modality!r}")
    slope, intercept = float(getattr(ds, "RescaleSlope", 1)), float(getattr(ds, "RescaleIntercept", 0))
    return torch.from_numpy(ds.pixel_array.astype(np.float64) * slope + intercept).float()


def window(values, center: float, width: float) -> torch.Tensor:
    """The DICOM linear window (PS3.3 C.11.2.1.2.1), mapped onto [0, 1]: values below
    ``center - 0.5 - (width - 1) / 2`` become 0, values above ``center - 0.5 + (width - 1) / 2``
    become 1, and the values between are spread linearly. Narrow windows show small differences
    (brain: 40, 80); wide ones show everything faintly (bone: 400, 1800). ``values`` a tensor
    or array of any shape, in the units of ``center`` and ``width`` (HU for CT); returns float32."""
    _check_window(center, width)
    x = torch.as_tensor(values).double()
    return ((x - (center - 0.5)) / (width - 1) + 0.5).clamp(0, 1).float()


def unwindow(values, center: float, width: float) -> torch.Tensor:
    """The inverse of :func:`window` on its linear part: ``(values - 0.5) * (width - 1) + center
    - 0.5``, in the units of ``center`` and ``width`` (HU for CT). A value strictly between 0 and 1
    comes back as the value that the window mapped onto it; 0 and 1 come back as the window's
    ends, which only bound the values that the window clipped (air and bone under the soft tissue
    window). ``values`` a tensor or array of any shape on the window's [0, 1] scale, a windowed
    image or a network's output; returns float32."""
    _check_window(center, width)
    y = torch.as_tensor(values).double()
    return ((y - 0.5) * (width - 1) + (center - 0.5)).float()


def _check_window(center, width) -> None:
    if not (is_real(center) and np.isfinite(center)):
        raise ValueError(f"center must be a finite number; got {center!r}")
    if not (is_real(width) and np.isfinite(width) and width > 1):
        raise ValueError(f"width must be a finite number > 1 (DICOM's linear window); got {width!r}")
