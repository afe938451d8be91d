"""Tasks of the medical imaging basics exercise (``exercises/06_imaging_basics.ipynb``).

=======================  ======  ===============================================
task                     points  the student writes
=======================  ======  ===============================================
``basics.hounsfield``    2       ``to_hounsfield(stored, slope, intercept) -> HU``
``basics.window``        3       ``window(values, center, width) -> [0, 1]``
``basics.rician``        2       ``rician_magnitude(signal, sigma, eps_real, eps_imag)``
``basics.deidentify``    3       ``deidentify(ds, pseudonym) -> a new pydicom Dataset``
=======================  ======  ===============================================

Conventions (those of :mod:`coursekit.scans` and :mod:`coursekit.degrade`):

* ``to_hounsfield``: ``stored * slope + intercept`` (DICOM's RescaleSlope and
  RescaleIntercept), computed and returned in float64 whatever the integer dtype
  of ``stored``.
* ``window``: the DICOM linear window (PS3.3 C.11.2.1.2.1) mapped onto [0, 1],
  ``clip((x - (c - 0.5)) / (w - 1) + 0.5, 0, 1)``, in the dtype of ``values``;
  :func:`coursekit.scans.window` is the same map (in float32).
* ``rician_magnitude``: ``|signal + sigma * eps_real + i sigma * eps_imag|``, the
  noise given, so the result is deterministic; :func:`coursekit.degrade.rician_noise`
  computes the same with noise it draws itself.
* ``deidentify``: a *new* Dataset; the input is left as it was. PatientName and
  PatientID become the pseudonym; for the other elements it handles, the task
  takes the actions of the DICOM Basic Application Level Confidentiality Profile
  (PS3.15 Annex E, Table E.1-1): the elements of :data:`BLANKED` get action Z,
  a zero-length value ("", set only where present, never added), because they
  are Type 2 (PatientBirthDate in the Patient module, ReferringPhysicianName and
  StudyID in the General Study module), which must be present, empty if unknown,
  for the dataset to stay valid; the elements of :data:`DELETED` get action X,
  removed where present, as Type 3 (optional) elements may be. (PS3.15 gives
  InstitutionName X/Z/D: X unless the IOD requires it, and the CT Image IOD's
  General Equipment module has it as Type 3.) Every private element goes
  (``remove_private_tags()``, which also clears sequence items);
  PatientIdentityRemoved is "YES", and DeidentificationMethod says how (PS3.3's
  Patient module makes it Type 1C: required, with a value, when
  PatientIdentityRemoved is YES and no DeidentificationMethodCodeSequence is
  present); every other element keeps its value. The reference's method is
  :data:`METHOD`; the grader accepts any non-empty text there that fits its VR,
  LO (at most 64 characters a value), and no other added element. The result
  is pseudonymised, not anonymous: the dates, times, StationName and UIDs that
  the full profile also replaces stay.

Numeric inputs are seeded float64 tensors (the stored values integers, as DICOM
stores them), and the windows narrow enough that the usual mistakes (the
intercept forgotten or added before the slope, a width of ``w`` instead of
``w - 1``, no clipping, centre and width swapped, Gaussian noise on the
magnitude) change the result far beyond the tolerance; a slope of 0.1, which no
binary fraction holds exactly, catches HU computed in float32 and converted to
float64 afterwards. ``window`` and ``rician_magnitude`` each have one case that
checks only that the caller's tensors are left as they were (the notebook
windows one image three times, and keeps the clean slice). ``to_hounsfield`` needs none: its
argument is an integer tensor, which cannot hold ``* slope + intercept`` in place (torch refuses
to cast the float result back), and ``stored.double()`` is a copy. A Dataset cannot cross
the grader's process boundary, so each de-identification case builds its
dataset from pydicom's ``CT_small.dcm`` in the student's process, from plain
data, and reports back what the result holds. The helpers ``hu_case``,
``window_case``, ``rician_case`` and ``deid_case`` also make hidden cases.
"""
from __future__ import annotations

import copy

import torch

from ...scans import dicom_example
from ..cases import Case, Task, call, compare_inputs_kept, compare_values, describe, run_inputs_kept

NOTEBOOK = "06_imaging_basics"   # exercises/06_imaging_basics.ipynb, the notebook these tasks grade

__all__ = ["TASKS", "to_hounsfield_reference", "window_reference", "rician_magnitude_reference",
           "deidentify_reference", "BLANKED", "DELETED", "METHOD", "hu_case", "window_case", "rician_case", "deid_case"]

# ---------------------------------------------------------------------------
# basics.hounsfield
# ---------------------------------------------------------------------------


def to_hounsfield_reference(stored, slope, intercept):
    """``stored * slope + intercept`` in float64: ``stored`` an integer tensor of any shape."""
    return stored.double() * slope + intercept


def hu_case(name, slope, intercept, shape=(2, 8, 8), low=0, high=3000, dtype=torch.int16, hint="",
            seed=0) -> Case:
    """A ``to_hounsfield`` case on random stored integers in ``[low, high)`` of ``dtype``."""
    def inputs(gen):
        stored = torch.randint(low, high, shape, generator=gen, dtype=torch.int64).to(dtype)
        return dict(stored=stored, slope=slope, intercept=intercept)
    return Case(name, inputs, compare=compare_hounsfield, hint=hint, seed=seed)


def compare_hounsfield(expected, got, inputs):
    """:func:`compare_values`, with a dtype message that fits integer inputs."""
    if isinstance(got, torch.Tensor) and got.shape == expected.shape and got.dtype != expected.dtype:
        why = ("an integer tensor cannot hold the fractions a non-integer slope makes"
               if not got.is_floating_point() else
               "an integer tensor times a Python float gives the default float32")
        return (f"output: expected dtype {expected.dtype}, got {got.dtype} ({why}); convert the stored "
                "integers first: stored.double() * slope + intercept")
    return compare_values(expected, got)


_HU_HINT = ("HU = stored * RescaleSlope + RescaleIntercept: multiply first, then add the intercept. "
            "Convert to float64 before the arithmetic (stored.double()), so that nothing is rounded or truncated.")
HOUNSFIELD_CASES = (
    hu_case("slope 1, intercept -1024, int16 values (as CT_small.dcm stores them)", 1.0, -1024.0,
            hint=_HU_HINT + " With intercept -1024 a stored 1024 is water (0 HU) and a stored 24 air (-1000 HU).",
            seed=1),
    hu_case("slope 0.5 (not an integer), intercept -1024", 0.5, -1024.0, shape=(3, 5, 5), hint=(
        _HU_HINT + " With a slope of 0.5 an odd stored value gives half a HU: integer arithmetic loses it, and "
        "(stored + intercept) * slope halves the intercept too."), seed=2),
    hu_case("slope 2.5, intercept -3000, negative int32 values, a (2, 1, 6, 7) batch", 2.5, -3000.0,
            shape=(2, 1, 6, 7), low=-500, high=2500, dtype=torch.int32,
            hint=_HU_HINT + " Any shape and any integer dtype: the formula is elementwise.", seed=3),
    hu_case("slope 0.1 (no exact binary fraction), intercept -1000: float64 arithmetic, not float32 converted after",
            0.1, -1000.0, shape=(2, 8, 8), low=0, high=20000, hint=(
        _HU_HINT + " float32 keeps about 7 digits, so stored * slope + intercept computed in float32 (an integer "
        "tensor times a Python float) and converted with .double() afterwards is already off by up to some 1e-5 "
        "HU; near 0 HU that is far outside the tolerance."), seed=4),
)

# ---------------------------------------------------------------------------
# basics.window
# ---------------------------------------------------------------------------


def window_reference(values, center, width):
    """The DICOM linear window on [0, 1]: ``clip((x - (c - 0.5)) / (w - 1) + 0.5, 0, 1)``, in
    the dtype of ``values`` (float, any shape). :func:`coursekit.scans.window` in float32."""
    return ((values - (center - 0.5)) / (width - 1) + 0.5).clamp(0, 1)


def window_case(name, center, width, shape=(2, 1, 8, 8), spread=1.5, dtype=torch.float64, hint="",
                seed=0, run=call, compare=None) -> Case:
    """A ``window`` case on values spread over ``spread`` times the window, centred on it, so
    that some lie below it and some above it (``spread`` < 1: all inside)."""
    def inputs(gen):
        u = torch.rand(shape, generator=gen, dtype=torch.float64) - 0.5
        return dict(values=(center + spread * width * u).to(dtype), center=center, width=width)
    return Case(name, inputs, run=run, compare=compare, hint=hint, seed=seed)


def edges_case(name, center, width, hint="", seed=0) -> Case:
    """A ``window`` case on the window's edges, its centre and the values just outside it."""
    def inputs(gen):
        low, mid, high = center - 0.5 - (width - 1) / 2, center - 0.5, center - 0.5 + (width - 1) / 2
        values = torch.tensor([low - 1, low, (low + mid) / 2, mid, (mid + high) / 2, high, high + 1],
                              dtype=torch.float64)
        return dict(values=values, center=center, width=width)
    return Case(name, inputs, hint=hint, seed=seed)


_WINDOW_HINT = ("DICOM's linear window: y = (x - (c - 0.5)) / (w - 1) + 0.5, then clip to [0, 1] (.clamp(0, 1)); "
                "the width is w - 1 and the centre c - 0.5, not (x - (c - w / 2)) / w. Keep the values' dtype.")
WINDOW_CASES = (
    edges_case("brain window (40, 80): its edges map to 0 and 1, c - 0.5 to 0.5", 40, 80, hint=(
        "c - 0.5 maps to 0.5, c - 0.5 - (w - 1) / 2 to 0 and c - 0.5 + (w - 1) / 2 to 1. " + _WINDOW_HINT),
        seed=1),
    window_case("brain window (40, 80), values below and above it", 40, 80, hint=_WINDOW_HINT, seed=2),
    window_case("lung window (-600, 1500), values below and above it", -600, 1500, shape=(1, 12, 12),
                hint=_WINDOW_HINT, seed=3),
    window_case("soft-tissue window (40, 400), every value inside it", 40, 400, spread=0.9,
                hint=_WINDOW_HINT + " The centre is the first argument, the width the second.", seed=4),
    window_case("float32 in, float32 out: bone window (400, 1800)", 400, 1800, dtype=torch.float32,
                hint=_WINDOW_HINT, seed=5),
    window_case("the values passed in are left as they were (the notebook windows one image three times)", 40, 80,
                run=run_inputs_kept, compare=compare_inputs_kept, hint=(
        "y = (values - (center - 0.5)) / (width - 1) + 0.5 makes a new tensor; values -= ..., values.sub_(...) "
        "or values.clamp_(0, 1) change the caller's image, so the next window would start from the last one's "
        "result."), seed=6),
)

# ---------------------------------------------------------------------------
# basics.rician
# ---------------------------------------------------------------------------


def rician_magnitude_reference(signal, sigma, eps_real, eps_imag):
    """``sqrt((signal + sigma eps_real)^2 + (sigma eps_imag)^2)``, all tensors of one shape;
    what :func:`coursekit.degrade.rician_noise` computes with the noise it draws."""
    return torch.sqrt((signal + sigma * eps_real) ** 2 + (sigma * eps_imag) ** 2)


def rician_case(name, sigma, shape=(2, 1, 8, 8), background=0.0, dtype=torch.float64, hint="", seed=0,
                run=call, compare=None) -> Case:
    """A ``rician_magnitude`` case: a signal in [0.2, 1] whose left ``background`` share of columns
    is black (0), and standard normal ``eps_real``, ``eps_imag``."""
    def inputs(gen):
        signal = 0.2 + 0.8 * torch.rand(shape, generator=gen, dtype=torch.float64)
        signal[..., : round(background * shape[-1])] = 0.0
        eps_real = torch.randn(shape, generator=gen, dtype=torch.float64)
        eps_imag = torch.randn(shape, generator=gen, dtype=torch.float64)
        return dict(signal=signal.to(dtype), sigma=sigma, eps_real=eps_real.to(dtype), eps_imag=eps_imag.to(dtype))
    return Case(name, inputs, run=run, compare=compare, hint=hint, seed=seed)


_RICIAN_HINT = ("the scanner measures a complex value: real part signal + sigma * eps_real, imaginary part "
                "sigma * eps_imag (no signal there); the image is its magnitude, "
                "sqrt(real ** 2 + imag ** 2) (torch.sqrt, or torch.hypot).")
RICIAN_CASES = (
    rician_case("a bright image, sigma 0.05", 0.05, hint=_RICIAN_HINT, seed=1),
    rician_case("a black background (signal 0): sigma * |eps|, never negative", 0.1, shape=(1, 1, 6, 6),
                background=1.0, hint=(
        "where the signal is 0 the magnitude is sigma * sqrt(eps_real ** 2 + eps_imag ** 2): both parts of the "
        "noise count, so it is not |sigma * eps_real|. " + _RICIAN_HINT), seed=2),
    rician_case("an image with a dark background, sigma 0.2", 0.2, shape=(3, 1, 8, 8), background=0.5,
                hint=_RICIAN_HINT + " sigma multiplies the noise only, inside the square root.", seed=3),
    rician_case("float32 in, float32 out", 0.1, dtype=torch.float32, background=0.25,
                hint=_RICIAN_HINT + " Keep the inputs' dtype.", seed=4),
    rician_case("the signal and the noise passed in are left as they were", 0.1, background=0.5,
                run=run_inputs_kept, compare=compare_inputs_kept, hint=(
        "signal + sigma * eps_real makes a new tensor; signal += ... or signal.add_(...) change the caller's "
        "clean image (in the notebook, the clean slice and its black background would hold the noise too)."),
                seed=5),
)

# ---------------------------------------------------------------------------
# basics.deidentify: the dataset is built in the student's process, from plain data
# ---------------------------------------------------------------------------

# PS3.15 Annex E's actions (besides PatientName and PatientID, which become the pseudonym).
# Z: Type 2 elements, which must be present (empty if unknown): set to "" where present, not added.
# CT_small.dcm's StudyID repeats its PatientID.
BLANKED = ("PatientBirthDate", "ReferringPhysicianName", "StudyID")
# X: Type 3 elements, deleted where present. OtherPatientIDsSequence holds further IDs of the
# patient (CT_small.dcm has two); OtherPatientIDs is the retired element it replaced, which older
# files may still carry.
DELETED = ("PatientAddress", "OtherPatientIDs", "OtherPatientIDsSequence", "InstitutionName", "InstitutionAddress")
PSEUDONYMISED = ("PatientName", "PatientID")
FLAG = "PatientIdentityRemoved"
# Type 1C in PS3.3's Patient module: required, with a value, once FLAG is YES (unless a
# DeidentificationMethodCodeSequence is present). A LO value: at most 64 characters.
METHOD_KEYWORD = "DeidentificationMethod"
METHOD = "Partial PS3.15 Basic Profile: dates, times and UIDs kept"
METHOD_MAX = 64   # PS3.5 Table 6.2-1: an LO value holds at most 64 characters
PRIVATE_GROUP, PRIVATE_CREATOR = 0x0033, "COURSEKIT DEMO"   # a group CT_small.dcm leaves free


def deidentify_reference(ds, pseudonym):
    """A de-identified deep copy of ``ds`` (a pydicom Dataset); ``ds`` is left as it was."""
    new = copy.deepcopy(ds)
    for keyword in PSEUDONYMISED:
        setattr(new, keyword, pseudonym)
    for keyword in BLANKED:
        if keyword in new:
            setattr(new, keyword, "")
    for keyword in DELETED:
        if keyword in new:
            delattr(new, keyword)
    new.remove_private_tags()
    setattr(new, FLAG, "YES")
    setattr(new, METHOD_KEYWORD, METHOD)
    return new


def example_dataset(inputs: dict):
    """pydicom's ``CT_small.dcm`` with ``inputs["remove"]`` (keywords, private elements with
    ``"private"``) deleted and ``inputs["add"]`` ({keyword: value}) set; with ``inputs["nested"]``,
    an AnatomicRegionSequence item that holds a private element, and one at the top level too
    (both of value ``inputs["secret"]``)."""
    from pydicom.dataset import Dataset
    from pydicom.sequence import Sequence

    ds = dicom_example("CT_small.dcm")
    for keyword in inputs["remove"]:
        if keyword == "private":
            ds.remove_private_tags()
        elif keyword in ds:
            delattr(ds, keyword)
    for keyword, value in inputs["add"].items():
        setattr(ds, keyword, value)
    if inputs["nested"]:
        item = Dataset()
        item.CodeValue, item.CodingSchemeDesignator, item.CodeMeaning = "T-D1100", "SRT", "Head"
        item.private_block(PRIVATE_GROUP, PRIVATE_CREATOR, create=True).add_new(0x01, "LO", inputs["secret"])
        ds.AnatomicRegionSequence = Sequence([item])
        ds.private_block(PRIVATE_GROUP, PRIVATE_CREATOR, create=True).add_new(0x02, "LO", inputs["secret"])
    return ds


def _name(elem) -> str:
    return elem.keyword or str(elem.tag)


def _value(elem) -> str:
    """An element's value as text ("" for any zero-length value, None included); a sequence as its length."""
    if elem.VR == "SQ":
        return f"a sequence of {len(elem.value)} item(s)"
    return "" if elem.is_empty else str(elem.value)


def _longest_value(ds, keyword) -> int:
    """The number of characters of the longest value of ``ds``'s element ``keyword`` (0: absent or empty)."""
    if keyword not in ds or ds[keyword].is_empty:
        return 0
    elem = ds[keyword]
    return max(len(str(v)) for v in (elem.value if elem.VM > 1 else [elem.value]))


def _private_elements(ds) -> list[str]:
    """Every private element of ``ds``, sequence items included, as ``"(gggg,eeee)"``."""
    found = []
    ds.walk(lambda _, elem: found.append(str(elem.tag)) if elem.tag.is_private else None)
    return found


def _without_private(ds):
    stripped = copy.deepcopy(ds)
    stripped.remove_private_tags()
    return stripped


def summarise(before, after) -> dict:
    """What a de-identified ``after`` holds, next to the untouched copy ``before`` of its input, as
    plain data: the values of the elements the task handles (pseudonymised, blanked, deleted and
    the flag; None: absent), the private elements left, and the other (public) elements removed,
    added or changed."""
    from pydicom.dataset import Dataset

    if not isinstance(after, Dataset):
        return {"returned": type(after).__name__}
    keywords = PSEUDONYMISED + BLANKED + DELETED + (FLAG, METHOD_KEYWORD)
    a, b = _without_private(after), _without_private(before)
    others_a = {e.tag: e for e in a if e.keyword not in keywords}
    others_b = {e.tag: e for e in b if e.keyword not in keywords}
    return {
        "returned": "Dataset",
        "identifying": {k: (_value(after[k]) if k in after else None) for k in keywords},
        "method longest": _longest_value(after, METHOD_KEYWORD),
        "private": _private_elements(after),
        "removed": sorted(_name(e) for t, e in others_b.items() if t not in others_a),
        "added": sorted(_name(e) for t, e in others_a.items() if t not in others_b),
        "changed": sorted(_name(e) for t, e in others_a.items() if t in others_b and e != others_b[t]),
    }


def run_deidentify(deidentify, inputs):
    """Build the case's dataset, call ``deidentify(ds, pseudonym)`` and summarise what it returns
    against a copy of the input taken before the call (:func:`summarise`)."""
    ds = example_dataset(inputs)
    before = copy.deepcopy(ds)
    return summarise(before, deidentify(ds, inputs["pseudonym"]))


def run_input_check(deidentify, inputs):
    """Whether ``deidentify`` returned a Dataset other than its input and left the input as it was
    (every element, private ones and sequence items included)."""
    from pydicom.dataset import Dataset

    ds = example_dataset(inputs)
    before = copy.deepcopy(ds)
    out = deidentify(ds, inputs["pseudonym"])
    return {"returned": type(out).__name__ if not isinstance(out, Dataset) else "Dataset",
            "a new dataset": out is not ds, "input unchanged": ds == before}


def deid_case(name, add=None, remove=(), nested=False, run=run_deidentify, compare=None, hint="",
              seed=0) -> Case:
    """A ``deidentify`` case on ``CT_small.dcm`` changed as :func:`example_dataset` says, with a
    pseudonym drawn from the seed; by default it compares what the result holds
    (:func:`compare_deidentified`)."""
    def inputs(gen):
        number = int(torch.randint(0, 10_000, (1,), generator=gen))
        return dict(pseudonym=f"SUBJ-{number:04d}", add=dict(add or {}), remove=list(remove), nested=nested,
                    secret=f"MRN {number * 7 % 10_000:04d}")
    return Case(name, inputs, run=run, compare=compare or compare_deidentified, hint=hint, seed=seed)


def _listing(names, most: int = 6) -> str:
    names = list(names)
    return ", ".join(names[:most]) + (f" and {len(names) - most} more" if len(names) > most else "")


def _not_a_dataset(got) -> str | None:
    if not isinstance(got, dict) or "returned" not in got:
        return f"expected a summary of the returned dataset, got {describe(got)}"
    if got["returned"] != "Dataset":
        return (f"deidentify returned {'None' if got['returned'] == 'NoneType' else 'a ' + got['returned']}; "
                "expected the de-identified copy, a pydicom Dataset: return it")
    return None


def _blanked_message(keyword, want, have, pseudonym=None) -> str | None:
    """What a student who mishandled the BLANKED (Type 2) element ``keyword`` is told; None if
    the mistake is another."""
    type_2 = "it is a Type 2 element, which must be present"
    if want == "" and have is not None and have == pseudonym:
        return (f"{keyword} holds the pseudonym ({have!r}); blank it (new.{keyword} = \"\"): the pseudonym "
                f"replaces only PatientName and PatientID, and {type_2}, with an empty value")
    if want == "" and have is None:
        return (f"keep {keyword} with an empty value (new.{keyword} = \"\"): {type_2} (PS3.15's action Z); "
                "delete only the elements of DELETED")
    if want == "":
        return (f"{keyword} still holds its value ({have!r}); blank it (new.{keyword} = \"\"): {type_2}, "
                "with an empty value")
    if want is None and have is not None:
        return (f"{keyword} was added to the result ({have!r}) but the input has none: blank it only where it is "
                f"present (if \"{keyword}\" in new)")
    return None


def _method_message(have) -> str | None:
    """What a student whose DeidentificationMethod is ``have`` (None: absent) is told; None if it
    has a value (any text is accepted: the standard leaves the wording to whoever de-identifies;
    :func:`_method_length_message` checks its length)."""
    required = ("PS3.3's Patient module requires it, with a value, when PatientIdentityRemoved is YES "
                "(Type 1C); set new.DeidentificationMethod = METHOD, a text that says what was done")
    if have is None:
        return f"DeidentificationMethod is missing from the result: {required}"
    if have == "":
        return f"DeidentificationMethod is empty: {required}"
    return None


def _method_length_message(longest: int) -> str | None:
    """What a student whose longest DeidentificationMethod value has ``longest`` characters is told;
    None if it fits the VR."""
    if longest > METHOD_MAX:
        return (f"DeidentificationMethod has a value of {longest} characters; its VR, LO (Long String), holds at "
                f"most {METHOD_MAX} characters per value, so the file would not be valid: say it in fewer words")
    return None


def compare_deidentified(expected, got, inputs):
    """The pseudonymised, blanked and deleted elements and the flag as the reference leaves them,
    a DeidentificationMethod with a value (any text), no private element, and every other element
    where it was, with its value."""
    msg = _not_a_dataset(got)
    if msg:
        return msg
    for keyword, want in expected["identifying"].items():
        have = got["identifying"].get(keyword)
        if keyword == METHOD_KEYWORD:
            msg = _method_message(have) or _method_length_message(got.get("method longest", 0))
            if msg:
                return msg
            continue
        if have == want:
            continue
        msg = _blanked_message(keyword, want, have, inputs.get("pseudonym")) if keyword in BLANKED else None
        if msg:
            return msg
        if want is None:
            blank = have in ("", "a sequence of 0 item(s)")
            return (f"{keyword} is still in the result ({have!r}); delete the element (del new.{keyword})"
                    + (": an element with an empty value is still there" if blank else ""))
        if have is None:
            return f"{keyword} is missing from the result; expected {keyword} = {want!r}"
        return f"{keyword}: expected {want!r}, got {have!r}"
    if got["private"]:
        return (f"the result still has {len(got['private'])} private element(s): {_listing(got['private'])}; "
                "remove every one, those inside sequence items too")
    for key, what in (("removed", "elements that should be kept were removed"),
                      ("added", "elements the task does not ask for were added"),
                      ("changed", "elements that should keep their values were changed")):
        wrong = sorted(set(got[key]) ^ set(expected[key]))
        if wrong:
            return f"{what}: {_listing(wrong)}"
    return None


def compare_input_check(expected, got, inputs):
    """A new Dataset, and the input unchanged."""
    msg = _not_a_dataset(got)
    if msg:
        return msg
    if not got["a new dataset"]:
        return "deidentify returned the dataset it was given; return a new one, made with copy.deepcopy(ds)"
    if not got["input unchanged"]:
        return ("the dataset passed in was changed; work on copy.deepcopy(ds) only (copy.copy(ds) and ds.copy() "
                "share their elements with ds, so changing the copy changes ds too)")
    return None


_IDS_HINT = ("start from new = copy.deepcopy(ds); set new.PatientName and new.PatientID to the pseudonym; set "
             "each keyword of BLANKED that is in new to \"\" (setattr(new, keyword, \"\"): a Type 2 element stays "
             "present, empty); delete each keyword of DELETED that is in new (if keyword in new: "
             "delattr(new, keyword)); new.remove_private_tags(); new.PatientIdentityRemoved = \"YES\"; "
             "new.DeidentificationMethod = METHOD; leave every other element alone.")
DEIDENTIFY_CASES = (
    deid_case("CT_small.dcm as pydicom ships it (179 private elements, two other patient IDs, an empty birth date, "
              "a StudyID that repeats the PatientID)",
              hint=("CT_small.dcm's PatientBirthDate and ReferringPhysicianName are present and already empty: "
                    "they stay so, present; its StudyID is its PatientID again, '1CT1', and must be blanked too. "
                    + _IDS_HINT), seed=1),
    deid_case("every element to blank or delete present, with a value", add=dict(
        PatientBirthDate="19580317", PatientAddress="12 Harbour Road, Springfield", OtherPatientIDs="MRN-77812",
        ReferringPhysicianName="Curie^Marie", InstitutionAddress="1 Hospital Square, Springfield"),
        hint=_IDS_HINT, seed=2),
    deid_case("only the name and the ID present: blank or delete the others only where present",
              remove=(*BLANKED, *DELETED, "private"),
              hint=("del new.PatientAddress raises AttributeError where there is no PatientAddress, and "
                    "new.PatientBirthDate = \"\" adds an element the input did not have: check "
                    "`if keyword in new` first. " + _IDS_HINT), seed=3),
    deid_case("a private element inside a sequence item", nested=True, hint=(
        "new.remove_private_tags() removes the private elements of sequence items too; a loop over the "
        "top-level elements misses them. " + _IDS_HINT), seed=4),
    deid_case("the input dataset is left unchanged and a new one returned", run=run_input_check,
              compare=compare_input_check, hint=(
        "copy.deepcopy(ds) first and change only the copy: a hospital's original file must stay as it was."),
        seed=5),
)

# coursekit's own answers (the chapter uses them): a notebook function that only calls one of them
# earns no points, as one imported from coursekit does not.
TASKS = [
    Task("basics.hounsfield", "stored values to Hounsfield units", "to_hounsfield", 2,
         to_hounsfield_reference, HOUNSFIELD_CASES, forbidden=("coursekit.scans.hounsfield",)),
    Task("basics.window", "the DICOM linear window", "window", 3, window_reference, WINDOW_CASES,
         forbidden=("coursekit.scans.window",)),
    Task("basics.rician", "Rician noise of a magnitude MR image", "rician_magnitude", 2,
         rician_magnitude_reference, RICIAN_CASES, forbidden=("coursekit.degrade.rician_noise",)),
    Task("basics.deidentify", "de-identifying a DICOM header", "deidentify", 3, deidentify_reference,
         DEIDENTIFY_CASES),
]
