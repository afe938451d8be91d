"""The medical imaging basics exercise's tasks: the reference earns full marks, agrees with the
library (coursekit.scans, coursekit.degrade), and every wrong-but-plausible implementation loses
points (scored in this process; see grading_helpers.py)."""
import copy
import warnings

import numpy as np
import pytest
import torch

from coursekit import degrade, scans
from coursekit.grading.cases import compare_values
from coursekit.grading.tasks import basics, exercise_tasks, exercises, notebooks
from grading_helpers import (assert_every_task_has_an_independent_implementation,
                             assert_every_task_has_wrong_implementations, assert_full_marks, assert_loses_points,
                             failed_cases, grade_in_process)

pytestmark = pytest.mark.usefixtures("one_thread")

SHIPPED_CASE, VALUES_CASE, BARE_CASE, NESTED_CASE, INPUT_CASE = (c.name for c in basics.DEIDENTIFY_CASES)
# the cases of basics.window, and of each task the one that checks the caller's tensors were left alone
WINDOW_CASES = [c.name for c in basics.WINDOW_CASES]
WINDOW_INPUT_CASE, RICIAN_INPUT_CASE = (next(c.name for c in cases if c.run is basics.run_inputs_kept)
                                        for cases in (basics.WINDOW_CASES, basics.RICIAN_CASES))


def test_basics_exercise_has_four_tasks_with_points():
    tasks = exercise_tasks("basics")
    assert "basics" in exercises() and notebooks()["basics"] == "06_imaging_basics"
    assert [t.id for t in tasks] == ["basics.hounsfield", "basics.window", "basics.rician", "basics.deidentify"]
    assert all(2 <= t.points <= 3 and t.cases for t in tasks)
    assert sum(t.points for t in tasks) == 10


@pytest.mark.parametrize("task", basics.TASKS, ids=lambda t: t.id)
def test_reference_implementation_earns_full_marks(task):
    result = grade_in_process(task.id, task.reference)
    assert result.score() == pytest.approx(task.points), [c.message for c in result.cases]


@pytest.mark.parametrize("task", basics.TASKS, ids=lambda t: t.id)
def test_case_inputs_are_reproducible(task):
    for case in task.cases:
        assert compare_values(case.make_inputs(), case.make_inputs()) is None


@pytest.mark.parametrize("task", basics.TASKS[:3], ids=lambda t: t.id)
def test_numeric_tasks_use_float64_or_integer_inputs(task):
    dtypes = {v.dtype for case in task.cases for v in case.make_inputs().values() if isinstance(v, torch.Tensor)}
    assert torch.float64 in dtypes or dtypes <= {torch.int16, torch.int32}


# ------------------------------------------------ the references agree with the library

def test_hounsfield_reference_is_what_coursekit_scans_computes_from_the_header():
    ds = scans.dicom_example("CT_small.dcm")
    hu = basics.to_hounsfield_reference(torch.from_numpy(ds.pixel_array), float(ds.RescaleSlope),
                                        float(ds.RescaleIntercept))
    assert hu.dtype == torch.float64
    torch.testing.assert_close(hu.float(), scans.hounsfield(ds), rtol=0, atol=0)


@pytest.mark.parametrize("name", sorted(scans.CT_WINDOWS))
def test_window_reference_is_coursekit_scans_window(name):
    center, width = scans.CT_WINDOWS[name]
    values = torch.linspace(-1500, 2500, 4001, dtype=torch.float64)
    torch.testing.assert_close(basics.window_reference(values, center, width).float(),
                               scans.window(values, center, width))


def test_rician_reference_is_coursekit_degrade_rician_noise_given_the_same_draws():
    images = torch.rand(2, 1, 16, 16, generator=torch.Generator().manual_seed(0))
    images[..., :5] = 0.0
    noise = torch.randn((2, *images.shape), generator=torch.Generator().manual_seed(7))   # as rician_noise draws
    torch.testing.assert_close(basics.rician_magnitude_reference(images, 0.1, noise[0], noise[1]),
                               degrade.rician_noise(images, 0.1, seed=7))


# The references also compute the expected outputs, so grading them against themselves cannot tell
# whether they are right. These implementations take another road to the same answer.

def hounsfield_in_numpy(stored, slope, intercept):
    return torch.from_numpy(stored.numpy().astype(np.float64) * slope + intercept)


def window_as_dicom_writes_it(values, center, width):
    """PS3.3 C.11.2.1.2.1 as an if / else if / else, onto [0, 1]."""
    low, high = center - 0.5 - (width - 1) / 2, center - 0.5 + (width - 1) / 2
    inside = (values - (center - 0.5)) / (width - 1) + 0.5
    return torch.where(values <= low, torch.zeros_like(values), torch.where(values > high, torch.ones_like(values),
                                                                            inside))


def rician_as_complex_magnitude(signal, sigma, eps_real, eps_imag):
    return torch.abs(torch.complex(signal + sigma * eps_real, sigma * eps_imag))


def _strip_private(ds):
    for tag in list(ds.keys()):
        if tag.is_private:
            del ds[tag]
        elif ds[tag].VR == "SQ":
            for item in ds[tag].value:
                _strip_private(item)


def deidentify_by_recursion(ds, pseudonym):
    """Blanks with DataElement.clear() (the VR's empty value), deletes with Dataset.pop and
    words the method its own way."""
    new = copy.deepcopy(ds)
    _strip_private(new)
    for keyword in basics.BLANKED:
        if keyword in new:
            new[keyword].clear()
    for keyword in basics.DELETED:
        new.pop(keyword, None)
    new.PatientName = new.PatientID = pseudonym
    new.PatientIdentityRemoved = "YES"
    new.DeidentificationMethod = ["Basic Profile in part", "patient, study ID, institution"]
    return new


INDEPENDENT = [("basics.hounsfield", hounsfield_in_numpy), ("basics.window", window_as_dicom_writes_it),
               ("basics.rician", rician_as_complex_magnitude), ("basics.deidentify", deidentify_by_recursion)]


@pytest.mark.parametrize("task_id, impl", INDEPENDENT, ids=[t for t, _ in INDEPENDENT])
def test_an_independent_implementation_earns_full_marks(task_id, impl):
    assert_full_marks(task_id, impl)


def test_every_task_has_an_independent_implementation():
    assert_every_task_has_an_independent_implementation(basics.TASKS, INDEPENDENT)


# ------------------------------------------ wrong-but-plausible implementations

def hu_forgets_intercept(stored, slope, intercept):
    return stored.double() * slope


def hu_intercept_before_slope(stored, slope, intercept):
    return (stored.double() + intercept) * slope


def hu_truncates_slope(stored, slope, intercept):
    return (stored * int(slope)).double() + intercept


def hu_integer_arithmetic(stored, slope, intercept):
    """Keeps the stored integer dtype, so half HU are cut off."""
    return (stored * slope + intercept).to(stored.dtype)


def hu_returns_float32(stored, slope, intercept):
    return stored * slope + intercept


def hu_float32_arithmetic_converted_after(stored, slope, intercept):
    """Returns float64, but computed in float32 (an integer tensor times a Python float)."""
    return (stored * slope + intercept).double()


def window_naive(values, center, width):
    """(x - (c - w / 2)) / w: the window of width w that is not DICOM's."""
    return ((values - (center - width / 2)) / width).clamp(0, 1)


def window_not_clipped(values, center, width):
    return (values - (center - 0.5)) / (width - 1) + 0.5


def window_center_and_width_swapped(values, center, width):
    return ((values - (width - 0.5)) / (center - 1) + 0.5).clamp(0, 1)


def window_returns_float32(values, center, width):
    return ((values - (center - 0.5)) / (width - 1) + 0.5).clamp(0, 1).float()


def window_in_place(values, center, width):
    """The right numbers, written over the caller's tensor."""
    return values.sub_(center - 0.5).div_(width - 1).add_(0.5).clamp_(0, 1)


def rician_in_place(signal, sigma, eps_real, eps_imag):
    """The right numbers, but the noise is added to the caller's signal."""
    signal += sigma * eps_real
    return torch.sqrt(signal ** 2 + (sigma * eps_imag) ** 2)


def rician_gaussian_on_magnitude(signal, sigma, eps_real, eps_imag):
    return signal + sigma * eps_real


def rician_abs_of_real_part(signal, sigma, eps_real, eps_imag):
    return (signal + sigma * eps_real).abs()


def rician_sigma_outside_root(signal, sigma, eps_real, eps_imag):
    return sigma * torch.sqrt((signal + eps_real) ** 2 + eps_imag ** 2)


def rician_adds_noise_magnitude(signal, sigma, eps_real, eps_imag):
    return signal + sigma * torch.sqrt(eps_real ** 2 + eps_imag ** 2)


def rician_imag_noise_added_to_signal(signal, sigma, eps_real, eps_imag):
    return (signal + sigma * eps_real + sigma * eps_imag).abs()


def rician_signal_in_both_parts(signal, sigma, eps_real, eps_imag):
    return torch.sqrt((signal + sigma * eps_real) ** 2 + (signal + sigma * eps_imag) ** 2)


def rician_no_square_root(signal, sigma, eps_real, eps_imag):
    return (signal + sigma * eps_real) ** 2 + (sigma * eps_imag) ** 2


def _blank_and_delete(new, blanked=basics.BLANKED, deleted=basics.DELETED):
    """What the task asks of the elements of BLANKED and DELETED (or of those given)."""
    for keyword in blanked:
        if keyword in new:
            setattr(new, keyword, "")
    for keyword in deleted:
        if keyword in new:
            delattr(new, keyword)


def _flag(new):
    """PatientIdentityRemoved YES, and the DeidentificationMethod that PS3.3 then requires."""
    new.PatientIdentityRemoved = "YES"
    new.DeidentificationMethod = basics.METHOD


def deid_in_place(ds, pseudonym):
    ds.PatientName = ds.PatientID = pseudonym
    _blank_and_delete(ds)
    ds.remove_private_tags()
    _flag(ds)
    return ds


def deid_shallow_copy(ds, pseudonym):
    return deid_in_place(copy.copy(ds), pseudonym)


def deid_keeps_private_tags(ds, pseudonym):
    new = copy.deepcopy(ds)
    new.PatientName = new.PatientID = pseudonym
    _blank_and_delete(new)
    _flag(new)
    return new


def deid_top_level_private_only(ds, pseudonym):
    new = deid_keeps_private_tags(ds, pseudonym)
    for tag in [t for t in new.keys() if t.is_private]:
        del new[tag]
    return new


def deid_deletes_the_type_2_elements(ds, pseudonym):
    """Deletes BLANKED too (what the task asked before it followed PS3.15): a Type 2 element must stay."""
    new = copy.deepcopy(ds)
    new.PatientName = new.PatientID = pseudonym
    _blank_and_delete(new, blanked=(), deleted=basics.BLANKED + basics.DELETED)
    new.remove_private_tags()
    _flag(new)
    return new


def deid_blanks_instead_of_deleting(ds, pseudonym):
    """Blanks DELETED as well as BLANKED (as the lecture blanks PatientName): an empty element is still there."""
    new = copy.deepcopy(ds)
    new.PatientName = new.PatientID = pseudonym
    for keyword in basics.BLANKED + basics.DELETED:
        if keyword in new:
            setattr(new, keyword, "" if new[keyword].VR != "SQ" else [])
    new.remove_private_tags()
    _flag(new)
    return new


def deid_leaves_the_birth_date(ds, pseudonym):
    """Blanks the referring physician and the study ID only; the birth date keeps its value."""
    new = copy.deepcopy(ds)
    new.PatientName = new.PatientID = pseudonym
    _blank_and_delete(new, blanked=("ReferringPhysicianName", "StudyID"))
    new.remove_private_tags()
    _flag(new)
    return new


def deid_blanks_without_checking(ds, pseudonym):
    """Sets BLANKED to "" whether or not the input has it, so adds elements the input lacked."""
    new = copy.deepcopy(ds)
    new.PatientName = new.PatientID = pseudonym
    for keyword in basics.BLANKED:
        setattr(new, keyword, "")
    _blank_and_delete(new, blanked=())
    new.remove_private_tags()
    _flag(new)
    return new


def deid_deletes_without_checking(ds, pseudonym):
    new = copy.deepcopy(ds)
    new.PatientName = new.PatientID = pseudonym
    _blank_and_delete(new, deleted=())
    for keyword in basics.DELETED:
        delattr(new, keyword)
    new.remove_private_tags()
    _flag(new)
    return new


def deid_forgets_the_flag(ds, pseudonym):
    new = basics.deidentify_reference(ds, pseudonym)
    del new.PatientIdentityRemoved
    return new


def deid_forgets_the_method(ds, pseudonym):
    """PatientIdentityRemoved YES and no DeidentificationMethod (what the task asked before): a file
    that PS3.3's Type 1C rule makes invalid."""
    new = basics.deidentify_reference(ds, pseudonym)
    del new.DeidentificationMethod
    return new


def deid_empty_method(ds, pseudonym):
    new = basics.deidentify_reference(ds, pseudonym)
    new.DeidentificationMethod = ""
    return new


LONG_METHOD = ("Pseudonymised: name and ID replaced, birth date, referring physician and study ID blanked, "
               "addresses and institution removed")


def deid_method_too_long(ds, pseudonym):
    """A DeidentificationMethod longer than an LO value may be (64 characters: pydicom warns)."""
    new = basics.deidentify_reference(ds, pseudonym)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        new.DeidentificationMethod = LONG_METHOD
    return new


def deid_leaves_the_study_id(ds, pseudonym):
    """Blanks the birth date and the referring physician only (what the task asked before): CT_small.dcm's
    StudyID still reads its original PatientID."""
    new = copy.deepcopy(ds)
    new.PatientName = new.PatientID = pseudonym
    _blank_and_delete(new, blanked=("PatientBirthDate", "ReferringPhysicianName"))
    new.remove_private_tags()
    _flag(new)
    return new


def deid_adds_an_element_not_asked_for(ds, pseudonym):
    new = basics.deidentify_reference(ds, pseudonym)
    new.PatientComments = "pseudonymised for the course"
    return new


def deid_keeps_other_patient_ids_sequence(ds, pseudonym):
    new = basics.deidentify_reference(ds, pseudonym)
    if "OtherPatientIDsSequence" in ds:
        new.OtherPatientIDsSequence = copy.deepcopy(ds.OtherPatientIDsSequence)
    return new


def deid_deletes_too_much(ds, pseudonym):
    """Also removes the dates and the patient's sex, which the task keeps."""
    new = basics.deidentify_reference(ds, pseudonym)
    for keyword in ("StudyDate", "PatientSex"):
        if keyword in new:
            delattr(new, keyword)
    return new


def deid_returns_nothing(ds, pseudonym):
    basics.deidentify_reference(ds, pseudonym)


WRONG = [
    ("basics.hounsfield", hu_forgets_intercept), ("basics.hounsfield", hu_intercept_before_slope),
    ("basics.hounsfield", hu_truncates_slope), ("basics.hounsfield", hu_integer_arithmetic),
    ("basics.hounsfield", hu_returns_float32), ("basics.hounsfield", hu_float32_arithmetic_converted_after),
    ("basics.window", window_naive), ("basics.window", window_not_clipped),
    ("basics.window", window_center_and_width_swapped), ("basics.window", window_returns_float32),
    ("basics.window", window_in_place), ("basics.rician", rician_in_place),
    ("basics.rician", rician_gaussian_on_magnitude), ("basics.rician", rician_abs_of_real_part),
    ("basics.rician", rician_sigma_outside_root), ("basics.rician", rician_adds_noise_magnitude),
    ("basics.rician", rician_imag_noise_added_to_signal), ("basics.rician", rician_signal_in_both_parts),
    ("basics.rician", rician_no_square_root),
    ("basics.deidentify", deid_in_place), ("basics.deidentify", deid_shallow_copy),
    ("basics.deidentify", deid_keeps_private_tags), ("basics.deidentify", deid_top_level_private_only),
    ("basics.deidentify", deid_deletes_the_type_2_elements), ("basics.deidentify", deid_blanks_instead_of_deleting),
    ("basics.deidentify", deid_leaves_the_birth_date), ("basics.deidentify", deid_blanks_without_checking),
    ("basics.deidentify", deid_deletes_without_checking), ("basics.deidentify", deid_forgets_the_flag),
    ("basics.deidentify", deid_forgets_the_method), ("basics.deidentify", deid_empty_method),
    ("basics.deidentify", deid_method_too_long),
    ("basics.deidentify", deid_leaves_the_study_id), ("basics.deidentify", deid_adds_an_element_not_asked_for),
    ("basics.deidentify", deid_keeps_other_patient_ids_sequence),
    ("basics.deidentify", deid_deletes_too_much), ("basics.deidentify", deid_returns_nothing),
]


@pytest.mark.parametrize("task_id, wrong", WRONG, ids=lambda v: getattr(v, "__name__", v))
def test_wrong_but_plausible_implementation_loses_points(task_id, wrong):
    assert_loses_points(task_id, wrong)


def test_every_task_has_wrong_implementations_in_the_tests():
    assert_every_task_has_wrong_implementations(basics.TASKS, WRONG)


# ---------------------------------------- which case catches what, and what it says

def test_the_intercept_added_before_the_slope_passes_only_where_the_slope_is_1():
    assert failed_cases("basics.hounsfield", hu_intercept_before_slope) == [
        c.name for c in basics.HOUNSFIELD_CASES[1:]]


def test_hu_in_float32_or_in_the_stored_integers_is_told_to_convert_first():
    for wrong in (hu_returns_float32, hu_integer_arithmetic):
        result = grade_in_process("basics.hounsfield", wrong)
        assert not any(c.passed for c in result.cases)
        assert all("stored.double() * slope + intercept" in c.message for c in result.cases)


def test_hu_computed_in_float32_and_converted_after_fails_where_the_slope_has_no_exact_binary_form():
    failed = failed_messages("basics.hounsfield", hu_float32_arithmetic_converted_after)
    assert list(failed) == [basics.HOUNSFIELD_CASES[-1].name]   # slopes 1, 0.5 and 2.5 are exact in float32
    assert "slope 0.1" in basics.HOUNSFIELD_CASES[-1].name


def test_the_naive_window_fails_even_the_window_s_centre():
    names = failed_cases("basics.window", window_naive)
    assert names == WINDOW_CASES   # the case that checks the values passed in wants the right output too


def test_an_unclipped_window_passes_only_where_every_value_lies_inside_the_window():
    assert failed_cases("basics.window", window_not_clipped) == [
        name for name in WINDOW_CASES if "every value inside" not in name]


@pytest.mark.parametrize("task_id, wrong, case, argument", [
    ("basics.window", window_in_place, WINDOW_INPUT_CASE, "values"),
    ("basics.rician", rician_in_place, RICIAN_INPUT_CASE, "signal")], ids=["window", "rician"])
def test_a_function_that_changes_its_input_in_place_fails_only_the_input_case_and_is_told_so(
        task_id, wrong, case, argument):
    failed = failed_messages(task_id, wrong)
    assert list(failed) == [case]
    assert failed[case].startswith(f"your function changed its argument(s) {argument} in place")


@pytest.mark.parametrize("task", basics.TASKS[1:3], ids=lambda t: t.id)
def test_the_reference_leaves_the_caller_s_tensors_alone(task):
    assert not failed_cases(task.id, task.reference)
    assert sum(c.run is basics.run_inputs_kept for c in task.cases) == 1


def test_gaussian_noise_on_the_magnitude_goes_negative_on_the_black_background():
    result = grade_in_process("basics.rician", rician_gaussian_on_magnitude)
    background = next(c for c in result.cases if "black background" in c.case.name)
    assert not background.passed and "never negative" in background.case.name


def test_deidentify_in_place_fails_exactly_the_input_case_and_is_told_to_deep_copy():
    for wrong in (deid_in_place, deid_shallow_copy):
        result = grade_in_process("basics.deidentify", wrong)
        failed = [c for c in result.cases if not c.passed]
        assert [c.case.name for c in failed] == [INPUT_CASE]
        assert "copy.deepcopy(ds)" in failed[0].message


def test_deidentify_that_keeps_a_private_tag_fails_and_is_told_so():
    assert failed_cases("basics.deidentify", deid_top_level_private_only) == [NESTED_CASE]
    result = grade_in_process("basics.deidentify", deid_keeps_private_tags)
    failed = [c for c in result.cases if not c.passed]
    assert len(failed) == len(result.cases) - 2   # all but the case without private elements and the input case
    assert all("private element" in c.message for c in failed)


def failed_messages(task_id, obj) -> dict[str, str]:
    """{case name: message} for the public cases of ``task_id`` that ``obj`` fails, in order."""
    return {c.case.name: c.message for c in grade_in_process(task_id, obj).cases if not c.passed}


def test_deidentify_that_deletes_the_type_2_elements_is_told_to_keep_them_empty():
    failed = failed_messages("basics.deidentify", deid_deletes_the_type_2_elements)
    assert list(failed) == [SHIPPED_CASE, VALUES_CASE, NESTED_CASE]   # wherever the input has them
    assert all(m.startswith('keep PatientBirthDate with an empty value (new.PatientBirthDate = ""): it is a '
                            "Type 2 element, which must be present") for m in failed.values())


def test_deidentify_that_blanks_the_deleted_elements_is_told_to_delete_them():
    failed = failed_messages("basics.deidentify", deid_blanks_instead_of_deleting)
    assert list(failed) == [SHIPPED_CASE, VALUES_CASE, NESTED_CASE]
    assert failed[VALUES_CASE].startswith("PatientAddress is still in the result (''); delete the element "
                                          "(del new.PatientAddress): an element with an empty value is still there")
    assert failed[SHIPPED_CASE].startswith("OtherPatientIDsSequence is still in the result ('a sequence of 0 item(s)')")


def test_deidentify_that_leaves_the_birth_date_fails_where_it_has_a_value():
    failed = failed_messages("basics.deidentify", deid_leaves_the_birth_date)
    assert list(failed) == [VALUES_CASE]   # CT_small.dcm's own birth date is empty already
    assert failed[VALUES_CASE].startswith("PatientBirthDate still holds its value ('19580317'); blank it "
                                          '(new.PatientBirthDate = ""): it is a Type 2 element')


def test_deidentify_that_blanks_an_absent_element_fails_where_it_is_absent():
    failed = failed_messages("basics.deidentify", deid_blanks_without_checking)
    assert list(failed) == [BARE_CASE]
    assert "PatientBirthDate was added to the result ('')" in failed[BARE_CASE]
    assert 'blank it only where it is present (if "PatientBirthDate" in new)' in failed[BARE_CASE]


def test_deidentify_that_deletes_an_absent_element_fails_where_it_is_absent():
    failed = failed_messages("basics.deidentify", deid_deletes_without_checking)
    assert BARE_CASE in failed
    assert all("AttributeError" in m for m in failed.values())


def test_deidentify_that_deletes_too_much_names_what_it_removed():
    result = grade_in_process("basics.deidentify", deid_deletes_too_much)
    assert "should be kept were removed: PatientSex, StudyDate" in result.cases[0].message


def test_deidentify_that_forgets_the_method_fails_every_case_and_is_told_it_is_required():
    failed = failed_messages("basics.deidentify", deid_forgets_the_method)
    assert list(failed) == [SHIPPED_CASE, VALUES_CASE, BARE_CASE, NESTED_CASE]
    assert all(m.startswith("DeidentificationMethod is missing from the result: PS3.3's Patient module requires "
                            "it, with a value, when PatientIdentityRemoved is YES (Type 1C)") for m in failed.values())


def test_deidentify_with_an_empty_method_is_told_it_needs_a_value():
    failed = failed_messages("basics.deidentify", deid_empty_method)
    assert list(failed) == [SHIPPED_CASE, VALUES_CASE, BARE_CASE, NESTED_CASE]
    assert all(m.startswith("DeidentificationMethod is empty") for m in failed.values())


def test_a_deidentification_method_longer_than_an_lo_value_fails_every_dataset_case():
    failed = failed_messages("basics.deidentify", deid_method_too_long)
    assert list(failed) == [SHIPPED_CASE, VALUES_CASE, BARE_CASE, NESTED_CASE]
    assert all(m.startswith(f"DeidentificationMethod has a value of {len(LONG_METHOD)} characters; its VR, LO "
                            "(Long String), holds at most 64") for m in failed.values())


def test_several_short_method_values_each_fit_the_lo_limit():
    def two_values(ds, pseudonym):
        new = basics.deidentify_reference(ds, pseudonym)
        new.DeidentificationMethod = ["x" * 64, "name, ID, birth date, study ID, addresses, institution"]
        return new
    assert_full_marks("basics.deidentify", two_values)


def test_any_text_is_accepted_as_the_deidentification_method():
    def own_words(ds, pseudonym):
        new = basics.deidentify_reference(ds, pseudonym)
        new.DeidentificationMethod = "pseudonymised by hand"
        return new
    assert_full_marks("basics.deidentify", own_words)


def test_deidentify_that_leaves_the_study_id_fails_where_it_holds_the_patient_id():
    failed = failed_messages("basics.deidentify", deid_leaves_the_study_id)
    assert list(failed) == [SHIPPED_CASE, VALUES_CASE, NESTED_CASE]   # the bare case has no StudyID
    assert all(m.startswith("StudyID still holds its value ('1CT1'); blank it") for m in failed.values())


def test_deidentify_that_gives_the_study_id_the_pseudonym_is_told_to_blank_it_not_that_it_kept_its_value():
    def study_id_pseudonymised(ds, pseudonym):
        new = basics.deidentify_reference(ds, pseudonym)
        if "StudyID" in ds:
            new.StudyID = pseudonym
        return new
    failed = failed_messages("basics.deidentify", study_id_pseudonymised)
    assert list(failed) == [SHIPPED_CASE, VALUES_CASE, NESTED_CASE]
    assert all(m.startswith("StudyID holds the pseudonym ('SUBJ-") and "blank it" in m for m in failed.values())


def test_the_reference_result_holds_the_original_patient_id_nowhere():
    ds = scans.dicom_example("CT_small.dcm")
    found = []
    basics.deidentify_reference(ds, "SUBJ-0001").walk(
        lambda _, elem: found.append(elem.keyword) if elem.VR != "SQ" and ds.PatientID in str(elem.value) else None)
    assert found == []


def test_the_reference_says_how_it_de_identified_as_ps3_3_requires_with_the_flag():
    new = basics.deidentify_reference(scans.dicom_example("CT_small.dcm"), "SUBJ-0001")
    assert new.PatientIdentityRemoved == "YES" and "DeidentificationMethodCodeSequence" not in new
    assert new.DeidentificationMethod == basics.METHOD and 0 < len(basics.METHOD) <= 64   # LO: 64 characters


def test_the_blanked_and_deleted_elements_are_ps3_15_s_z_and_x():
    assert basics.BLANKED == ("PatientBirthDate", "ReferringPhysicianName", "StudyID")
    assert basics.DELETED == ("PatientAddress", "OtherPatientIDs", "OtherPatientIDsSequence", "InstitutionName",
                              "InstitutionAddress")
    assert not set(basics.BLANKED) & set(basics.DELETED)


def test_the_case_datasets_hold_what_the_cases_say():
    shipped = basics.example_dataset(basics.DEIDENTIFY_CASES[0].make_inputs())
    assert len([e for e in shipped if e.tag.is_private]) == 179 and len(shipped.OtherPatientIDsSequence) == 2
    assert shipped.PatientBirthDate == shipped.ReferringPhysicianName == ""   # present and empty: kept so
    assert shipped.StudyID == shipped.PatientID == "1CT1"
    valued = basics.example_dataset(basics.DEIDENTIFY_CASES[1].make_inputs())
    assert all(k in valued and not valued[k].is_empty for k in basics.BLANKED + basics.DELETED)
    bare = basics.example_dataset(basics.DEIDENTIFY_CASES[2].make_inputs())
    assert not [k for k in basics.BLANKED + basics.DELETED if k in bare] and not [e for e in bare if e.tag.is_private]
    nested = basics.example_dataset(basics.DEIDENTIFY_CASES[3].make_inputs())
    assert any(e.tag.is_private for e in nested.AnatomicRegionSequence[0])


# ------------------------------------------------- the library's answers are not the student's

def window_from_coursekit(values, center, width):
    return scans.window(values, center, width).to(values.dtype)


def rician_from_coursekit(signal, sigma, eps_real, eps_imag):
    return degrade.rician_noise(signal, sigma)


@pytest.mark.parametrize("task_id, shortcut", [("basics.window", window_from_coursekit),
                                               ("basics.rician", rician_from_coursekit)],
                         ids=["window", "rician"])
def test_calling_coursekit_s_own_answer_scores_zero_and_says_why(task_id, shortcut):
    result = grade_in_process(task_id, shortcut, as_student=True)
    assert result.score() == 0
    assert all("ForbiddenCall" in c.message for c in result.cases)
