import os
from typing import Any, Dict, Optional, Sequence, Union

import numpy
import pandas

__version__: str

class SettingsError(ValueError): ...
class InputError(ValueError): ...

PathOrArray = Union[str, os.PathLike[str], Any]

class Extractor:
    def __init__(
        self,
        params: Union[None, str, os.PathLike[str]] = ...,
        *,
        bin_width: Optional[float] = ...,
        bin_count: Optional[int] = ...,
        rings: Sequence[str] = ...,
        filters: Sequence[str] = ...,
        log_sigma: Sequence[float] = ...,
        wavelet: str = ...,
        label: Optional[int] = ...,
        label_channel: int = ...,
        spacing: Optional[float] = ...,
        backend: str = ...,
    ) -> None: ...
    @classmethod
    def from_params(
        cls,
        path: Union[str, os.PathLike[str]],
        *,
        rings: Sequence[str] = ...,
        spacing: Optional[float] = ...,
        backend: str = ...,
    ) -> Extractor: ...
    def execute(
        self,
        image: PathOrArray,
        mask: PathOrArray,
        spacing: Optional[float] = ...,
        *,
        pyradiomics_names: bool = ...,
    ) -> Dict[str, float]: ...
    def execute_maps(
        self,
        image: PathOrArray,
        mask: PathOrArray,
        spacing: Optional[float] = ...,
        *,
        kernel_radius: Optional[int] = ...,
        masked_kernel: Optional[bool] = ...,
        init_value: Optional[float] = ...,
        features: Optional[Sequence[str]] = ...,
    ) -> Dict[str, numpy.ndarray]: ...
    def extract_manifest(
        self, manifest: Union[str, os.PathLike[str], pandas.DataFrame], progress: bool = ..., id_column: str = ...
    ) -> pandas.DataFrame: ...

class Study:
    folder: str
    report_path: str
    clinical_skipped: Optional[str]
    metrics: pandas.DataFrame
    selection: pandas.DataFrame
    scores: pandas.DataFrame
    def predict(self, new_features: Union[str, os.PathLike[str], pandas.DataFrame], clinical: Union[None, str, os.PathLike[str], pandas.DataFrame] = ...) -> pandas.DataFrame: ...

def train(
    features: Union[str, os.PathLike[str], pandas.DataFrame],
    outcome: str = ...,
    clinical: Union[None, str, os.PathLike[str], pandas.DataFrame] = ...,
    out: Optional[str] = ...,
    *,
    clinical_vars: Optional[Sequence[str]] = ...,
    split_column: Optional[str] = ...,
    config: Optional[str] = ...,
    seed: Optional[int] = ...,
    validation_fraction: Optional[float] = ...,
    mrmr_k: Optional[int] = ...,
    bootstrap: int = ...,
    notes: Sequence[str] = ...,
) -> Study: ...
