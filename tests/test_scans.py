"""coursekit.scans: the scans that ship inside nilearn and pydicom load offline, are oriented as
stated, and are turned into Hounsfield units and windows as the DICOM standard says."""
import numpy as np
import pytest
import torch

from coursekit import degrade, scans


@pytest.fixture(scope="module")
def template():
    return scans.mri_template(resolution=2)


@pytest.fixture(scope="module")
def ct():
    return scans.dicom_example("CT_small.dcm")


def marked_volume(shape=(6, 8, 10)):
    """A RAS volume (1 mm voxels), all ones, with one voxel of 0.5 at the largest x, y and z: the
    patient's right, front and top."""
    data = torch.ones(shape)
    data[-1, -1, -1] = 0.5
    return scans.Volume(data, np.diag([1.0, 1.0, 1.0, 1.0]))


# -------------------------------------------------------------- MRI template

def test_the_mri_template_loads_with_its_voxel_size_and_values_in_the_unit_range(template):
    assert template.data.shape == (99, 117, 95) and template.data.dtype == torch.float32
    assert template.spacing == (2.0, 2.0, 2.0)
    assert template.data.min() >= 0 and template.data.max() == 1


def test_the_mri_templates_background_is_exactly_0(template):
    """nilearn's resampling leaves values near 1e-16 in much of the background; a test x == 0
    for the background would miss them."""
    assert ((template.data > 0) & (template.data < 1e-6)).sum() == 0
    assert (template.data == 0).float().mean() > 0.5


def test_the_mri_template_at_1_mm_has_twice_the_voxels_along_each_axis():
    fine = scans.mri_template(resolution=1)
    assert fine.data.shape == (197, 233, 189) and fine.spacing == (1.0, 1.0, 1.0)


def test_the_mri_template_refuses_a_resolution_nilearn_does_not_ship():
    with pytest.raises(ValueError, match="resolution must be 1 or 2"):
        scans.mri_template(resolution=3)


# ------------------------------------------------------------------- slices

@pytest.mark.parametrize("plane", scans.PLANES)
def test_slices_put_the_front_or_the_top_of_the_head_at_the_top(plane):
    """The marked voxel (right, front, top) lies in the last slice of each plane, in the top row
    and the rightmost column of the unpadded slice: axial and coronal slices show the patient's
    right on the right (nilearn's left-on-left), sagittal slices the front on the right."""
    vol = marked_volume(shape=(8, 8, 8))                 # a cube: no padding to account for
    last = scans.slices(vol, plane, min_foreground=0)[-1, 0]
    assert last[0, -1].item() == 0.5
    assert (last == 1).sum().item() == last.numel() - 1


@pytest.mark.parametrize("plane, rows, cols", [("axial", 8, 6), ("coronal", 10, 6), ("sagittal", 10, 8)])
def test_slices_pad_every_plane_equally_on_both_sides_to_the_volumes_longest_side(plane, rows, cols):
    # one square side for every plane, so a voxel covers as many pixels in each of them
    stack = scans.slices(marked_volume(), plane, min_foreground=0)
    s = 10                                               # marked_volume is 6 x 8 x 10 voxels
    assert stack.shape[1:] == (1, s, s)
    filled = (stack[0, 0] > 0)
    r, c = filled.any(dim=1).nonzero().flatten(), filled.any(dim=0).nonzero().flatten()
    assert (r.numel(), c.numel()) == (rows, cols)
    assert r[0].item() == (s - rows) // 2 and c[0].item() == (s - cols) // 2


def test_slices_drop_the_slices_with_too_little_foreground(template):
    every = scans.slices(template, "axial", min_foreground=0)
    kept = scans.slices(template, "axial", min_foreground=0.1)
    assert len(every) == template.data.shape[2] and 0 < len(kept) < len(every)
    in_brain = (kept > 0.1).sum(dim=(1, 2, 3))          # padding adds only zeros
    assert (in_brain >= 0.1 * 117 * 99).all()             # an axial slice is 117 x 99 before padding


def test_a_voxel_of_the_template_is_as_many_pixels_wide_in_every_plane(template):
    # a coronal slice of the template (197 x 189 voxels) padded to its own longer side and resized
    # would show each voxel larger than an axial one (233 x 197)
    extent = {plane: (scans.slices(template, plane, size=64) > 0.1).any(dim=-2).sum(dim=-1).max().item()
              for plane in scans.PLANES}
    width_in_voxels = template.data.shape[0]                 # left to right, in axial and coronal slices
    assert extent["axial"] == extent["coronal"] <= round(64 * width_in_voxels / max(template.data.shape)) + 1


def test_slices_resized_to_a_size_are_square_and_stay_in_the_unit_range(template):
    stack = scans.slices(template, "coronal", size=64)
    assert stack.shape[1:] == (1, 64, 64) and stack.dtype == torch.float32
    assert stack.min() >= 0 and stack.max() <= 1


def test_slices_of_the_template_can_be_undersampled_and_reconstructed(template):
    """The point of the helper: real MRI slices go straight into coursekit.degrade."""
    stack = scans.slices(template, "axial", size=64)[:4]
    k = degrade.undersample(stack, degrade.kspace_mask(64, 4, seed=0))
    assert degrade.zero_filled(k).shape == stack.shape


def test_slices_refuse_an_unknown_plane(template):
    with pytest.raises(ValueError, match="plane must be one of"):
        scans.slices(template, "transverse")


@pytest.mark.parametrize("kwargs", [dict(min_foreground=1.5), dict(min_foreground=None), dict(threshold=None),
                                    dict(threshold=float("nan"))])
def test_slices_refuse_a_foreground_rule_that_is_not_a_number_in_range(template, kwargs):
    with pytest.raises(ValueError, match="min_foreground|threshold"):
        scans.slices(template, **kwargs)


def test_slices_refuse_a_volume_whose_axes_are_not_x_y_z():
    flipped = scans.Volume(torch.ones(4, 4, 4), np.diag([-1.0, 1.0, 1.0, 1.0]))
    with pytest.raises(ValueError, match="reorient it first"):
        scans.slices(flipped)


def test_slices_refuse_a_plain_tensor(template):
    with pytest.raises(TypeError, match="expected a coursekit.scans.Volume"):
        scans.slices(template.data)


# -------------------------------------------------------------------- DICOM

def test_the_ct_example_reads_in_hounsfield_units_with_air_and_bone(ct):
    hu = scans.hounsfield(ct)
    assert hu.shape == (128, 128) and hu.dtype == torch.float32
    assert torch.equal(hu, torch.from_numpy(ct.pixel_array.astype(np.float32) + float(ct.RescaleIntercept)))
    assert hu.min() < -800 and hu.max() > 700           # lung (air mixed with tissue) and bone


def test_hounsfield_refuses_an_mr_image():
    with pytest.raises(ValueError, match="Hounsfield units are a CT scale; this dataset's Modality is 'MR'"):
        scans.hounsfield(scans.dicom_example("MR_small.dcm"))


def test_dicom_example_refuses_a_name_pydicom_does_not_ship():
    with pytest.raises(ValueError, match="pydicom ships no example DICOM file named 'brain.dcm'"):
        scans.dicom_example("brain.dcm")


def test_window_matches_pydicoms_linear_windowing(ct):
    """pydicom maps a window onto the range of the stored values; two values far outside every
    window give that range's ends, which map to 0 and 1 here."""
    from pydicom.pixels import apply_windowing

    values = np.concatenate([scans.hounsfield(ct).double().numpy().ravel(), [-1e5, 1e5]])
    for centre, width in scans.CT_WINDOWS.values():
        ct.WindowCenter, ct.WindowWidth, ct.VOILUTFunction = centre, width, "LINEAR"
        theirs = apply_windowing(values.copy(), ct)
        low, high = theirs[-2], theirs[-1]
        ours = scans.window(values, centre, width).double().numpy()
        assert np.allclose((theirs - low) / (high - low), ours, atol=1e-6), (centre, width)
        assert 0 < np.mean((ours > 0) & (ours < 1)), (centre, width)       # not all clipped away


def test_window_maps_its_centre_to_one_half_and_its_ends_to_0_and_1():
    out = scans.window(torch.tensor([-1000.0, 40 - 200, 40, 40 + 200, 3000.0]), 40, 400)
    assert out[0] == 0 and out[-1] == 1
    assert out[2].item() == pytest.approx(0.5, abs=0.002)
    assert out[1].item() == pytest.approx(0.0, abs=0.003) and out[3].item() == pytest.approx(1.0, abs=0.003)


@pytest.mark.parametrize("width", [1, 0, -400, float("nan"), None])
def test_window_refuses_a_width_of_1_or_less(width):
    with pytest.raises(ValueError, match="width must be a finite number > 1"):
        scans.window(torch.zeros(2), 40, width)


def test_unwindow_gives_back_the_hu_inside_the_window_and_its_ends_outside(ct):
    hu = scans.hounsfield(ct)
    for centre, width in scans.CT_WINDOWS.values():
        y = scans.window(hu, centre, width)
        back = scans.unwindow(y, centre, width)
        inside = (y > 0) & (y < 1)
        assert inside.any(), (centre, width)
        assert torch.allclose(back[inside], hu[inside], atol=1e-3 * width), (centre, width)
        low, high = centre - 0.5 - (width - 1) / 2, centre - 0.5 + (width - 1) / 2
        assert torch.allclose(back[y == 0], torch.tensor(low, dtype=torch.float32))
        assert torch.allclose(back[y == 1], torch.tensor(high, dtype=torch.float32))
        assert (hu[y == 0] <= low).all() and (hu[y == 1] >= high).all()


def test_unwindow_refuses_a_width_of_1_or_less():
    with pytest.raises(ValueError, match="width must be a finite number > 1"):
        scans.unwindow(torch.zeros(2), 40, 1)
