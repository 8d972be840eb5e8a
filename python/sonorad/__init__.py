"""sonorad from Python: PyRadiomics-identical radiomics features of 2D ultrasound images.

    import sonorad
    extractor = sonorad.Extractor(bin_width=25, rings=["3mm"], spacing=0.1)
    features = extractor.execute("scan.png", "scan_mask.png")     # {name: value}
    table = extractor.extract_manifest("cases.csv")                # pandas DataFrame

The extraction is sonorad's Rust library (the same code as the `sonorad` command line); this
module is a thin shell over it. Settings are checked when the Extractor is made
(`SettingsError`, a ValueError, with the command line's message); a bad file or array raises
`InputError` (a ValueError) naming it.

PyRadiomics' own API is `sonorad.featureextractor`: a PyRadiomics notebook runs on sonorad by
changing `from radiomics import featureextractor` to `from sonorad import featureextractor`
(its docstring lists what differs).
"""
from __future__ import annotations

import os
import tempfile
from typing import Any, Dict, Optional, Sequence, Union

from ._sonorad import Extractor as _Extractor
from ._sonorad import InputError, SettingsError, __version__, predict_to, train_study

__all__ = ["Extractor", "Study", "train", "SettingsError", "InputError", "__version__"]

PathOrArray = Union[str, "os.PathLike[str]", Any]


def _table_path(table: Any, folder: str, name: str) -> str:
    """A CSV path for a path, or for a pandas DataFrame written into `folder` as `name`."""
    if isinstance(table, (str, os.PathLike)):
        return os.fspath(table)
    path = os.path.join(folder, name)
    table.to_csv(path, index=False)
    return path


class Study:
    """A fitted study: what `sonorad train` writes into its folder, as DataFrames.

    metrics: every model's AUC (DeLong CI), cutoff and rates on both cohorts (metrics.csv);
    selection: the LASSO-selected features and their coefficients (selection.json);
    scores: each case's cohort, outcome and Rad-score (scores.csv);
    report_path: the HTML report; clinical_skipped: why the clinical models were not fitted.
    """

    def __init__(self, folder: str, clinical_skipped: Optional[str]) -> None:
        import json

        import pandas

        self.folder = folder
        self.report_path = os.path.join(folder, "report.html")
        self.clinical_skipped = clinical_skipped
        self.metrics = pandas.read_csv(os.path.join(folder, "metrics.csv"))
        self.scores = pandas.read_csv(os.path.join(folder, "scores.csv"), dtype={"case_id": str})
        with open(os.path.join(folder, "selection.json")) as f:
            lasso = json.load(f)["lasso"]
        kept = pandas.DataFrame({"feature": lasso["features"], "coefficient": lasso["coefficients"]})
        self.selection = kept[kept["coefficient"] != 0].reset_index(drop=True)

    def predict(self, new_features: Any, clinical: Any = None):
        """Scores new cases (a feature table path or DataFrame, with the clinical table for a
        combined model) as `sonorad predict --model model.json` does; a DataFrame equal to its
        output."""
        import pandas

        with tempfile.TemporaryDirectory(prefix="sonorad-") as folder:
            features = _table_path(new_features, folder, "features.csv")
            clinical_path = None if clinical is None else _table_path(clinical, folder, "clinical.csv")
            out = os.path.join(folder, "predictions.csv")
            predict_to(os.path.join(self.folder, "model.json"), features, out, clinical_path)
            return pandas.read_csv(out, dtype={"case_id": str})

    def __repr__(self) -> str:
        return f"Study({self.folder!r}, {len(self.selection)} selected features)"


def train(
    features: Any,
    outcome: str = "outcome",
    clinical: Any = None,
    out: Optional[str] = None,
    **study_settings: Any,
) -> Study:
    """Fits a study as `sonorad train` does: split, mRMR, LASSO Rad-score, six classifiers,
    with `clinical` the clinical and combined models, and the report, into `out` (default: a
    new temporary folder, kept). features and clinical: CSV paths or pandas DataFrames.
    study_settings: clinical_vars, split_column, config (a StudyConfig file), seed,
    validation_fraction, mrmr_k, bootstrap, notes.
    """
    folder = out or tempfile.mkdtemp(prefix="sonorad-study-")
    os.makedirs(folder, exist_ok=True)
    features_path = _table_path(features, folder, "input_features.csv")
    clinical_path = None if clinical is None else _table_path(clinical, folder, "input_clinical.csv")
    skipped = train_study(features_path, outcome, folder, clinical=clinical_path, **study_settings)
    return Study(folder, skipped)


def _path_or_array(value: PathOrArray, what: str = "image") -> Any:
    """A path as a string; a numpy array as it is, but a 3-D array holding one 2D slice (what
    SimpleITK's GetArrayFromImage gives for a one-slice volume: shape (1, rows, columns), or
    (rows, columns, 1)) as that slice. A mask of (rows, columns, channels) is kept: the library
    reads its channel label_channel. Another 3-D array (several slices, a colour image) raises
    InputError: sonorad reads 2D images."""
    if isinstance(value, (str, os.PathLike)):
        return os.fspath(value)
    shape = getattr(value, "shape", None)
    if shape is not None and len(shape) == 3:
        if shape[0] == 1:
            return value[0]
        if shape[2] == 1:
            return value[:, :, 0]
        if what == "mask":
            return value
        raise InputError(
            "a 3-D array of shape %s: expected a 2D numpy array, or a volume of one slice "
            "(shape (1, rows, columns)); pass one slice, or convert colour to gray"
            % (tuple(shape),))
    return value


def _check_manifest_ids(table: Any, id_column: str) -> None:
    """A DataFrame manifest's ids, checked before anything runs: present, without a missing
    or empty id, without repeats; each problem names the DataFrame's rows (by index)."""
    if id_column not in table.columns:
        raise InputError("the manifest DataFrame has no %r column (id_column)" % id_column)
    ids = table[id_column]
    missing = ids.isna() | (ids.astype(str).str.strip() == "")
    if missing.any():
        raise InputError("the manifest DataFrame has no %s at index %s" % (
            id_column, list(table.index[missing])[:10]))
    text = ids.astype(str)
    repeated = text[text.duplicated(keep=False)]
    if len(repeated):
        raise InputError("the manifest DataFrame repeats %s %r at index %s" % (
            id_column, repeated.iloc[0], list(repeated.index)[:10]))


class Extractor:
    """Feature extraction with checked settings.

    Keyword arguments are the command line's: bin_width (default 25) or bin_count; rings
    (["3mm", "10px"]); filters (["original", "log", "wavelet", "square", "squareroot",
    "logarithm", "exponential", "gradient"]); log_sigma (mm); wavelet ("coif1", ...); label;
    label_channel (the channel of a mask of several channels per pixel, an RGB PNG or a
    rows x columns x channels array, that holds the labels; default 0); spacing (mm); backend ("auto", "cpu", "gpu", "mixed"). A PyRadiomics parameter file as
    the first argument (as RadiomicsFeatureExtractor takes it) replaces the extraction settings;
    rings, spacing and backend still apply.
    """

    def __init__(self, params: Optional[Union[str, "os.PathLike[str]"]] = None, **settings: Any) -> None:
        # a parameter file as the first argument, as RadiomicsFeatureExtractor takes it
        if params is not None:
            self._inner = _Extractor.from_params(os.fspath(params), **settings)
        else:
            self._inner = _Extractor(**settings)

    @classmethod
    def from_params(cls, path: Union[str, "os.PathLike[str]"], **settings: Any) -> "Extractor":
        """An extractor from a PyRadiomics parameter file (imageType, featureClass, setting);
        rings, spacing and backend as keyword arguments."""
        extractor = cls.__new__(cls)
        extractor._inner = _Extractor.from_params(os.fspath(path), **settings)
        return extractor

    def execute(
        self,
        image: PathOrArray,
        mask: PathOrArray,
        spacing: Optional[float] = None,
        *,
        pyradiomics_names: bool = False,
    ) -> Dict[str, float]:
        """The features of one case as a dict of names to floats.

        image and mask are file paths, or 2D numpy arrays (image: uint8, uint16, float32 or
        float64; mask: bool or integer labels, or rows x columns x channels read at
        label_channel; C or Fortran order), with spacing in mm for arrays. A C-ordered float64 image and uint32 mask are read in place, without a copy;
        do not write to them from another thread during the call. Names are sonorad's columns (tumor_original_glcm_Contrast); with
        pyradiomics_names=True the tumour's features carry PyRadiomics' own keys
        (original_glcm_Contrast), the rings keep their prefix.
        """
        pairs = self._inner.execute_pairs(_path_or_array(image), _path_or_array(mask, "mask"), spacing)
        if pyradiomics_names:
            pairs = [(n[len("tumor_"):] if n.startswith("tumor_") else n, v) for n, v in pairs]
        return dict(pairs)

    def execute_maps(
        self,
        image: PathOrArray,
        mask: PathOrArray,
        spacing: Optional[float] = None,
        *,
        kernel_radius: Optional[int] = None,
        masked_kernel: Optional[bool] = None,
        init_value: Optional[float] = None,
        features: Optional[Sequence[str]] = None,
    ) -> Dict[str, Any]:
        """Texture maps of one case (PyRadiomics' voxel-based features, as `sonorad map`
        computes them) as a dict of names (tumor_original_glcm_Contrast) to float64 arrays in
        the image's geometry, init_value outside the region.

        image, mask and spacing as for execute. kernel_radius (1 to 16), masked_kernel and
        init_value default to the parameter file's voxelSetting, else PyRadiomics' defaults (1,
        True, 0). features selects classes or single features (["glcm", "firstorder_Mean"]);
        by default every first-order and texture feature. With backend "gpu" (or "mixed", or
        "auto" on a hardware GPU) the maps are computed on the device for radius up to 3.
        """
        pairs = self._inner.execute_maps(
            _path_or_array(image),
            _path_or_array(mask, "mask"),
            spacing,
            kernel_radius,
            masked_kernel,
            init_value,
            None if features is None else list(features),
        )
        return dict(pairs)

    def extract_manifest(self, manifest: Any, progress: Any = True, id_column: str = "case_id"):
        """Every case of a manifest (a CSV path, or a pandas DataFrame with the id column and
        image, mask columns) as a pandas DataFrame: one row per case, pass-through columns
        first, features as float64. Cases that failed are not rows; they are in
        `result.attrs["errors"]`, a DataFrame of case_id, file and message.

        progress: True shows a tqdm bar (in a terminal and in Jupyter, through tqdm.auto) when
        tqdm is installed, else the command line's bar on a terminal; False shows nothing; a
        callable is told (done, failed, total) after every chunk of cases.
        """
        import pandas

        callback, bar = None, None
        if callable(progress):
            callback, progress = progress, False
        elif progress:
            try:
                from tqdm.auto import tqdm
            except ImportError:
                tqdm = None
            if tqdm is not None:
                bar = tqdm(unit="case", desc="sonorad")

                def callback(done: int, failed: int, total: int) -> None:
                    bar.total = total
                    bar.update(done - bar.n)
                    if failed:
                        bar.set_postfix(failed=failed)

                progress = False

        with tempfile.TemporaryDirectory(prefix="sonorad-") as folder:
            if isinstance(manifest, pandas.DataFrame):
                _check_manifest_ids(manifest, id_column)
                table = manifest.copy()
                table[id_column] = table[id_column].astype(str)
                for column in ("image", "mask"):
                    table[column] = [os.path.abspath(p) for p in table[column]]
                path = os.path.join(folder, "manifest.csv")
                table.to_csv(path, index=False)
            else:
                path = os.fspath(manifest)
            out = os.path.join(folder, "features.csv")
            errors = os.path.join(folder, "errors.csv")
            try:
                self._inner.extract_manifest_to(path, out, errors, id_column, progress, callback)
            finally:
                if bar is not None:
                    bar.close()
            if os.path.getsize(out) > 0:
                result = pandas.read_csv(out, dtype={id_column: str})
            else:
                # every case failed: the pipeline wrote no header, so no columns are known
                result = pandas.DataFrame({id_column: pandas.Series(dtype=str)})
            if os.path.exists(errors) and os.path.getsize(errors) > 0:
                failed = pandas.read_csv(errors, dtype=str)
            else:
                failed = pandas.DataFrame(columns=["case_id", "file", "message"])
        result.attrs["errors"] = failed
        return result

    def __repr__(self) -> str:
        return repr(self._inner)
