"""PyRadiomics' `featureextractor` on sonorad: a PyRadiomics 3.0.1 notebook runs on sonorad by
changing its import line only.

    from sonorad import featureextractor        # was: from radiomics import featureextractor
    extractor = featureextractor.RadiomicsFeatureExtractor("params.yaml")   # or a dict, or binWidth=10
    result = extractor.execute("scan.png", "scan_mask.png", label=255)

`RadiomicsFeatureExtractor` has PyRadiomics' attributes (`settings`, `enabledFeatures`,
`enabledImagetypes`, plain dicts read at each `execute`) and methods (`loadParams`,
`loadJSONParams`, `addProvenance`, `enableAllFeatures`, `disableAllFeatures`,
`enableFeatureClassByName`, `enableFeaturesByName`, `enableAllImageTypes`,
`disableAllImageTypes`, `enableImageTypeByName`, `enableImageTypes`, `execute`). `execute`
returns PyRadiomics' `OrderedDict`: the `diagnostics_…` entries first (when `additionalInfo`,
the default), then `original_shape2D_…`, then each image type's classes, in PyRadiomics' order,
features as numpy 0-d float64 arrays, values equal to PyRadiomics' to 1e-9 (sonorad's parity).

The settings go to sonorad's Rust library as the text of a parameter file, checked by the
parser every sonorad shell uses (`sonorad._sonorad.Extractor.from_params_text`): what it cannot
reproduce raises `SettingsError` naming the setting, at construction, `loadParams`,
`loadJSONParams` and `execute`. Warnings PyRadiomics would log (the 3D `shape` class skipped on
a 2D image, the parameter file's own) go to the `radiomics.featureextractor` logger
(`featureextractor.logger`, a child of `radiomics`, as PyRadiomics names it), at each `execute`,
in the library's words: PyRadiomics' text after the key it concerns, e.g. "featureClass.shape:
Shape features are only available 3D input (for 2D input, use shape2D). Found 2D input; the
class is skipped".

Differences from PyRadiomics 3.0.1:

- Settings are checked: an unknown setting, or one sonorad refuses (LBP image types, deprecated
  features, ...), raises `SettingsError` (a ValueError) naming it, where PyRadiomics ignores an
  unknown keyword argument. A bad image or mask raises `InputError` (a ValueError) with sonorad's
  message, where PyRadiomics raises ValueError with its own.
- Images: 2D only. A SimpleITK image (or a path, read with SimpleITK as PyRadiomics reads it) of
  3D with a single slice is extracted as its 2D slice, so its results are those of the 2D image,
  not PyRadiomics' 3D run of it. numpy arrays (2D) are accepted too, with 1 mm pixels at origin
  (0, 0). Without SimpleITK installed, paths are read by sonorad's own readers (those of
  `sonorad extract`; spacing from the file where it has one, else 1 mm).
- `enableAllImageTypes` enables PyRadiomics' image types except LBP2D and LBP3D, which sonorad
  does not compute (it logs a warning saying so).
- Diagnostics: `diagnostics_Versions_PyRadiomics` and `diagnostics_Versions_PyWavelet` hold
  sonorad's version (`"sonorad <version>"`: the features and the wavelets are sonorad's code),
  `diagnostics_Versions_SimpleITK` the installed SimpleITK's (left out without SimpleITK),
  NumPy and Python their own. The image and mask diagnostics are sonorad's, of every step as
  PyRadiomics adds them (`original`; `interpolated` with resampledPixelSpacing; `corrected`
  with correctMask, for a mask that does not lie on the image's pixels and without preCrop;
  `resegmented` with resegmentRange; the library's `extract::case_with_diagnostics`, equal to
  PyRadiomics'); the `…_CenterOfMass` entries are left out for an image whose direction is not
  the identity (sonorad places pixels with the identity direction, and compares image and mask
  geometry by origin and spacing only). PyRadiomics' info and debug log messages, and its
  warnings that a symmetrical GLCM's SumAverage equals twice its JointAverage and that a mask
  is being corrected, are not logged.
- correctMask and geometryTolerance act as in PyRadiomics on SimpleITK images (each with its
  own spacing and origin); a numpy mask, or a mask read by sonorad's readers without
  SimpleITK, is taken to lie on its image's pixels unless its file carries a spacing (origins
  are then 0). With `voxelBased=True`, maps are cut with the mask as given (a corrected mask's
  box is not used).
- `voxelBased=True` returns maps over the region's bounding box padded by `kernelRadius`, as
  SimpleITK images with PyRadiomics' origin and spacing when SimpleITK is installed, else as
  numpy arrays (rows first) whose first pixel is pixel (x0, y0) of the image, x0, y0 being the
  padded box's corner. First-order maps are computed on 2D images, where PyRadiomics 3.0.1's
  voxel-based first-order class fails.
- `label_channel` (setting or argument) is read by sonorad's library, as PyRadiomics' getMask
  reads it: a mask of several channels per pixel (a SimpleITK vector image, or a path to an RGB,
  RGBA or gray+alpha PNG or a vector NRRD, with or without SimpleITK) gives its channel
  `label_channel`, a channel it lacks raises InputError naming the channel count; a mask of one
  channel ignores it. A negative or non-integer label_channel raises SettingsError.
- The extraction runs on sonorad's `auto` backend (the GPU where there is one).
"""
from __future__ import annotations

import collections
import json
import logging
import os
import sys
from typing import Any, Dict, Optional, Tuple

import numpy

from . import _sonorad
from ._sonorad import InputError, SettingsError, __version__

__all__ = ["RadiomicsFeatureExtractor", "SettingsError", "InputError", "logger"]

logger = logging.getLogger("radiomics.featureextractor")

try:
    import SimpleITK as sitk
except ImportError:  # paths are then read by sonorad, maps returned as numpy arrays
    sitk = None

# PyRadiomics' feature classes and image types, in its order (getFeatureClasses, getImageTypes);
# the classes are the library's (sonorad::compat), which `sonorad pyradiomics` reads too
FEATURE_CLASSES = list(_sonorad.pyradiomics_feature_classes())
IMAGE_TYPES = ["Exponential", "Gradient", "LBP2D", "LBP3D", "LoG", "Logarithm", "Original",
               "Square", "SquareRoot", "Wavelet"]
# image types sonorad does not compute (enableAllImageTypes leaves them out)
NOT_COMPUTED = ["LBP2D", "LBP3D"]
# PyRadiomics keeps voxelSetting in `settings`; the parameter text puts them back in their section
VOXEL_SETTINGS = ["kernelRadius", "maskedKernel", "initValue", "voxelBatch"]


def _default_settings() -> Dict[str, Any]:
    """PyRadiomics' `_getDefaultSettings`, in its order (diagnostics show the dict): the
    library's (sonorad::compat), which `sonorad pyradiomics` starts from too; a new dict."""
    return dict(_sonorad.pyradiomics_default_settings())


def _json_value(value: Any) -> Any:
    """numpy scalars and arrays in settings as the JSON values they stand for."""
    if isinstance(value, (numpy.generic, numpy.ndarray)):
        return value.tolist()
    raise TypeError(f"setting value {value!r} cannot be written to a parameter file")


class RadiomicsFeatureExtractor:
    """PyRadiomics' RadiomicsFeatureExtractor on sonorad (see the module's docstring for what
    differs). The one positional argument is a parameter file (YAML or JSON) or a dict of its
    sections; keyword arguments override settings. Without either: PyRadiomics' defaults, every
    class but shape2D (the 3D `shape` class too, skipped with a warning on 2D images) on the
    Original image."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.settings: Dict[str, Any] = {}
        self.enabledImagetypes: Dict[str, Any] = {}
        self.enabledFeatures: Dict[str, Any] = {}
        self.featureClassNames = list(FEATURE_CLASSES)
        # the native extractor of the last settings, rebuilt when they change
        self._native: Optional[Tuple[str, Any]] = None
        if len(args) == 1 and isinstance(args[0], dict):
            self._applyParams(args[0])
        elif len(args) == 1 and isinstance(args[0], (str, os.PathLike)):
            if not os.path.isfile(args[0]):
                raise IOError("Parameter file %s does not exist." % args[0])
            self.loadParams(args[0])
        else:
            self.settings = _default_settings()
            self.enabledImagetypes = {"Original": {}}
            self.enabledFeatures = {c: [] for c in self.featureClassNames if c != "shape2D"}
        self.settings.update(kwargs)
        if self.settings.get("binCount") is not None:
            logger.warning(
                "Fixed bin Count enabled! However, we recommend using a fixed bin Width. See "
                "http://pyradiomics.readthedocs.io/en/latest/faq.html#radiomics-fixed-bin-width for more "
                "details")
        # checked now, as PyRadiomics validates a parameter file when it is loaded
        self._extractor(self.settings)

    def addProvenance(self, provenance_on: bool = True) -> None:
        """Whether `execute` adds the `diagnostics_…` entries (setting `additionalInfo`)."""
        self.settings["additionalInfo"] = provenance_on

    def loadParams(self, paramsFile: Any) -> None:
        """Replaces settings, image types and feature classes with a parameter file's (YAML or
        JSON), read by sonorad's parser; `SettingsError` names what it refuses."""
        with open(paramsFile) as f:
            text = f.read()
        self._applyParams(json.loads(_sonorad.params_as_json(text, os.fspath(paramsFile))))
        self._extractor(self.settings)

    def loadJSONParams(self, JSON_configuration: str) -> None:
        """As `loadParams`, from a JSON string."""
        self._applyParams(json.loads(JSON_configuration))
        self._extractor(self.settings)

    def _applyParams(self, params: Optional[Dict[str, Any]]) -> None:
        """PyRadiomics' `_applyParams` on a parsed parameter dict: no image type means
        Original, no feature class means all, settings over the defaults (voxelSetting too)."""
        params = params or {}
        self.enabledImagetypes = params.get("imageType") or {"Original": {}}
        self.enabledFeatures = params.get("featureClass") or {c: [] for c in self.featureClassNames}
        self.settings = _default_settings()
        self.settings.update(params.get("setting") or {})
        self.settings.update(params.get("voxelSetting") or {})

    def enableAllFeatures(self) -> None:
        """Every feature of every class (the 3D `shape` class too, as PyRadiomics)."""
        for name in self.featureClassNames:
            self.enabledFeatures[name] = []

    def disableAllFeatures(self) -> None:
        """No feature class."""
        self.enabledFeatures = {}

    def enableFeatureClassByName(self, featureClass: str, enabled: bool = True) -> None:
        """Enables every feature of a class, or disables the class; an unknown name is logged
        and ignored, as PyRadiomics does."""
        if featureClass not in self.featureClassNames:
            logger.warning("Feature class %s is not recognized", featureClass)
            return
        if enabled:
            self.enabledFeatures[featureClass] = []
        elif featureClass in self.enabledFeatures:
            del self.enabledFeatures[featureClass]

    def enableFeaturesByName(self, **enabledFeatures: Any) -> None:
        """Sets the features of the named classes (a list, or [] / None for all)."""
        self.enabledFeatures.update(enabledFeatures)

    def enableAllImageTypes(self) -> None:
        """Every image type sonorad computes, without custom settings: PyRadiomics' list less
        LBP2D and LBP3D (logged)."""
        for name in IMAGE_TYPES:
            if name not in NOT_COMPUTED:
                self.enabledImagetypes[name] = {}
        logger.warning("Image types %s are not enabled: sonorad does not compute them",
                       ", ".join(NOT_COMPUTED))

    def disableAllImageTypes(self) -> None:
        """No image type (shape2D alone can still be computed)."""
        self.enabledImagetypes = {}

    def enableImageTypeByName(self, imageType: str, enabled: bool = True,
                              customArgs: Optional[Dict[str, Any]] = None) -> None:
        """Enables an image type with its own settings, or disables it; an unknown name is
        logged and ignored, as PyRadiomics does."""
        if imageType not in IMAGE_TYPES:
            logger.warning("Image type %s is not recognized", imageType)
            return
        if enabled:
            self.enabledImagetypes[imageType] = {} if customArgs is None else customArgs
        elif imageType in self.enabledImagetypes:
            del self.enabledImagetypes[imageType]

    def enableImageTypes(self, **enabledImagetypes: Any) -> None:
        """Adds image types, each with its settings."""
        self.enabledImagetypes.update(enabledImagetypes)

    def _params_text(self, settings: Dict[str, Any]) -> str:
        """The extractor's state as a parameter file's text for sonorad's parser. With no image
        type the Original stands in (shape2D is computed on it; its other features are dropped
        by `execute`); with no class at all nothing is extracted, so the text keeps all."""
        setting = {k: v for k, v in settings.items() if k not in VOXEL_SETTINGS}
        params = {
            "imageType": self.enabledImagetypes or {"Original": {}},
            "featureClass": self.enabledFeatures,
            "setting": setting,
            "voxelSetting": {k: settings[k] for k in VOXEL_SETTINGS if k in settings},
        }
        return json.dumps(params, default=_json_value)

    def _extractor(self, settings: Dict[str, Any]) -> Any:
        """The native extractor of `settings` and the current selections, made (and checked by
        the library: `SettingsError`) only when they changed since the last call."""
        text = self._params_text(settings)
        if self._native is None or self._native[0] != text:
            native = _sonorad.Extractor.from_params_text(text, origin="RadiomicsFeatureExtractor settings")
            self._native = (text, native)
        return self._native[1]

    def execute(self, imageFilepath: Any, maskFilepath: Any, label: Optional[int] = None,
                label_channel: Optional[int] = None, voxelBased: bool = False):
        """The features of an image and mask (paths, SimpleITK images or 2D numpy arrays) as
        PyRadiomics' OrderedDict; `label` and `label_channel` override the settings for this
        call; `voxelBased=True` gives feature maps (without shape features)."""
        settings = self.settings.copy()
        if label is not None:
            settings["label"] = label
        else:
            label = settings.get("label", 1)
        if label_channel is not None:
            settings["label_channel"] = label_channel
        native = self._extractor(settings)
        for warning in native.warnings:
            logger.warning(warning)
        case = _Case.load(imageFilepath, maskFilepath)
        result = collections.OrderedDict()
        if settings.get("additionalInfo", False):
            result.update(self._diagnostics(settings, case, native))
        if voxelBased:
            settings["voxelBased"] = True  # the diagnostics' dict shows it, as PyRadiomics'
            pairs = self._maps(native, case, (label, settings.get("label_channel", 0)),
                               settings.get("kernelRadius", 1))
        else:
            pairs = self._features(native, case)
        result.update(self._in_pyradiomics_order(pairs))
        return result

    def _features(self, native: Any, case: "_Case") -> list:
        """sonorad's features of the case under PyRadiomics' names and types (`_feature`)."""
        if not self._classes_enabled():
            return []
        pairs = native.execute_pairs(case.image, case.mask, **case.placing())
        pairs = [(n[len("tumor_"):], _feature(n[len("tumor_"):], v)) for n, v in pairs]
        if not self.enabledImagetypes:
            pairs = [(n, v) for n, v in pairs if n.startswith("original_shape2D_")]
        return pairs

    def _maps(self, native: Any, case: "_Case", region: Tuple[int, int], radius: int) -> list:
        """sonorad's texture maps under PyRadiomics' names, cut to the bounding box of the region
        (label, label_channel) padded by the kernel radius (PyRadiomics' map geometry)."""
        if not self._classes_enabled() or not self.enabledImagetypes:
            return []
        maps = native.execute_maps(case.image, case.mask, array_spacing=case.spacing)
        x0, y0, x1, y1 = case.padded_box(region, radius)
        return [(n[len("tumor_"):], case.map_image(m[y0:y1, x0:x1], (x0, y0))) for n, m in maps]

    def _classes_enabled(self) -> bool:
        """Whether any class sonorad computes is enabled (else `execute` gives diagnostics
        only, as PyRadiomics)."""
        return any(c in self.enabledFeatures for c in self.featureClassNames if c != "shape")

    def _in_pyradiomics_order(self, pairs: list) -> list:
        """Features in PyRadiomics' order, the library's rule (sonorad::compat::FeatureOrder,
        which orders `sonorad pyradiomics`' columns too): shape2D first, then per image (in the
        order sonorad derives them from `enabledImagetypes`), classes in `enabledFeatures`'
        order; within a class, the given list's order, or for all features PyRadiomics' (its
        feature methods `get<Name>FeatureValue` sorted by name, as `dir` lists them)."""
        enabled = [(c, list(features or [])) for c, features in self.enabledFeatures.items()]
        order = _sonorad.pyradiomics_order([name for name, _ in pairs], enabled)
        return [pairs[k] for k in order]

    def _diagnostics(self, settings: Dict[str, Any], case: "_Case", native: Any):
        """PyRadiomics' `diagnostics_…` entries (see the module's docstring), in its order and
        with its types: the image and mask ones of every step (original, interpolated,
        corrected, resegmented) from the library, with the extractor's settings."""
        info = collections.OrderedDict()
        versions = [("PyRadiomics", "sonorad " + __version__), ("Numpy", numpy.__version__)]
        if sitk is not None:
            versions.append(("SimpleITK", sitk.Version().VersionString()))
        versions += [("PyWavelet", "sonorad " + __version__), ("Python", "%i.%i.%i" % sys.version_info[:3])]
        for name, version in versions:
            info["diagnostics_Versions_" + name] = version
        info["diagnostics_Configuration_Settings"] = settings
        info["diagnostics_Configuration_EnabledImageTypes"] = self.enabledImagetypes
        pairs = native.diagnostics(case.image, case.mask, **case.placing())
        for key, value in pairs:
            if key.endswith("CenterOfMass") and not case.identity_direction:
                continue
            info[key] = _pyradiomics_type(key, value)
        return info


# shape2D features PyRadiomics 3.0.1 returns as float64 scalars (the library's list,
# compat::SHAPE2D_SCALARS); its other features come from arrays and are 0-d arrays
SHAPE2D_SCALARS = set(_sonorad.pyradiomics_shape2d_scalars())


def _feature(name: str, value: float) -> Any:
    """A feature value with the type PyRadiomics gives it: numpy float64 for the shape2D
    features in SHAPE2D_SCALARS, a 0-d float64 array otherwise."""
    if name.startswith("original_shape2D_") and name.rsplit("_", 1)[1] in SHAPE2D_SCALARS:
        return numpy.float64(value)
    return numpy.asarray(value, dtype=numpy.float64)


def _pyradiomics_type(key: str, value: Any) -> Any:
    """A native diagnostic as PyRadiomics types it: numpy float64 for the statistics (numpy's
    mean, min, max) and the items of CenterOfMassIndex."""
    if isinstance(value, float):
        return numpy.float64(value)
    if key.endswith("CenterOfMassIndex"):
        return tuple(numpy.float64(v) for v in value)
    return value


class _Case:
    """An image and mask as the native functions take them (2D arrays, or paths when
    SimpleITK is missing) with the geometry PyRadiomics would see."""

    def __init__(self, image: Any, mask: Any, spacing: Optional[Tuple[float, float]],
                 origin: Tuple[float, float], source: Any = None,
                 mask_place: Tuple[Optional[Tuple[float, float]], Optional[Tuple[float, float]]] = (None, None)) -> None:
        self.image, self.mask = image, mask
        self.spacing, self.origin = spacing, origin
        # the mask's own spacing and origin (a SimpleITK mask), None: the image's
        self.mask_spacing, self.mask_origin = mask_place
        # the SimpleITK image whose geometry maps take (None for arrays and plain paths)
        self.source = source
        direction = source.GetDirection() if source is not None else None
        self.identity_direction = direction is None or numpy.allclose(
            numpy.reshape(direction, (source.GetDimension(),) * 2), numpy.eye(source.GetDimension()))

    @classmethod
    def load(cls, image: Any, mask: Any) -> "_Case":
        """Reads paths with SimpleITK (as PyRadiomics) when it is installed, else leaves them to
        sonorad's readers; converts SimpleITK images to arrays (a vector mask to rows x
        columns x channels, whose label_channel the library picks)."""
        if isinstance(image, (str, os.PathLike)) and isinstance(mask, (str, os.PathLike)) and sitk is None:
            return cls(os.fspath(image), os.fspath(mask), None, (0.0, 0.0))
        image, mask = _read(image, "image"), _read(mask, "mask")
        if sitk is not None and isinstance(image, sitk.Image):
            mask_place = (None, None)
            if isinstance(mask, sitk.Image):
                mask_place = (tuple(mask.GetSpacing()[:2]), tuple(mask.GetOrigin()[:2]))
            return cls(_plane(image, "image"), _plane(mask, "mask"),
                       tuple(image.GetSpacing()[:2]), tuple(image.GetOrigin()[:2]), image, mask_place)
        return cls(_plane(image, "image"), _plane(mask, "mask"), None, (0.0, 0.0))

    def placing(self) -> Dict[str, Any]:
        """Where image and mask lie, as the native `execute_pairs` and `diagnostics` take it."""
        return {"array_spacing": self.spacing, "origin": self.origin,
                "mask_spacing": self.mask_spacing, "mask_origin": self.mask_origin}

    def padded_box(self, region: Tuple[int, int], radius: int) -> Tuple[int, int, int, int]:
        """The bounding box of the region (label, label_channel), the library's diagnostics',
        padded by `radius`, within the image: x0, y0, x1, y1 (end excluded), as PyRadiomics'
        cropToTumorMask."""
        label, label_channel = region
        info = dict(_sonorad.original_diagnostics(self.image, self.mask, label, label_channel=label_channel))
        x, y, w, h = info["diagnostics_Mask-original_BoundingBox"]
        width, height = info["diagnostics_Mask-original_Size"]
        return (max(x - radius, 0), max(y - radius, 0),
                min(x + w + radius, width), min(y + h + radius, height))

    def map_image(self, values: numpy.ndarray, corner: Tuple[int, int]) -> Any:
        """A map cut at pixel `corner` as PyRadiomics returns it: a SimpleITK image placed
        where the cut lies, or the numpy array without SimpleITK."""
        if sitk is None:
            return values
        image = sitk.GetImageFromArray(values)
        if self.source is not None:
            image.SetSpacing(self.source.GetSpacing()[:2])
            image.SetOrigin(self.source.TransformIndexToPhysicalPoint([int(c) for c in corner]
                                                                     + [0] * (self.source.GetDimension() - 2))[:2])
            image.SetDirection(_plane_direction(self.source))
        else:
            image.SetOrigin([float(c) for c in corner])
        return image


def _read(value: Any, what: str) -> Any:
    """A path read with SimpleITK; anything else as it is."""
    if isinstance(value, (str, os.PathLike)):
        if not os.path.isfile(value):
            raise ValueError("Error reading %s Filepath or SimpleITK object" % what)
        return sitk.ReadImage(os.fspath(value))
    return value


def _plane(value: Any, what: str) -> numpy.ndarray:
    """A SimpleITK image or numpy array as a 2D array (a 3D one of a single slice as that
    slice); a mask may have channels: a SimpleITK vector mask, or a numpy mask of rows x
    columns x channels, is kept so (its label_channel is the library's to pick). Other shapes
    raise InputError."""
    if sitk is not None and isinstance(value, sitk.Image):
        one_slice = value.GetDimension() == 3 and value.GetSize()[2] == 1
        channels = value.GetNumberOfComponentsPerPixel() > 1
        value = sitk.GetArrayFromImage(value)
        if one_slice:
            value = value[0]
    elif isinstance(value, numpy.ndarray):
        channels = value.ndim == 3 and value.shape[0] != 1
        if value.ndim == 3 and value.shape[0] == 1:
            value = value[0]
    else:
        raise InputError(f"{what}: expected a path, a SimpleITK image or a numpy array, got {type(value).__name__}")
    if value.ndim != 2 and not (what == "mask" and channels and value.ndim == 3):
        raise InputError(f"{what}: sonorad extracts 2D images (or 3D of one slice), got shape {value.shape}")
    return value


def _plane_direction(image: Any) -> Tuple[float, ...]:
    """The in-plane part (x, y) of an image's direction matrix."""
    n = image.GetDimension()
    d = image.GetDirection()
    return (d[0], d[1], d[n], d[n + 1])
