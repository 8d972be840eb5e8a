import os
from typing import Any, Union, overload

import pandas

@overload
def extract_manifest(
    manifest: Union[str, os.PathLike[str], pandas.DataFrame],
    client: Any,
    partition_size: int = ...,
    out: None = ...,
    progress: bool = ...,
    id_column: str = ...,
    **settings: Any,
) -> pandas.DataFrame: ...
@overload
def extract_manifest(
    manifest: Union[str, os.PathLike[str], pandas.DataFrame],
    client: Any,
    partition_size: int = ...,
    *,
    out: Union[str, os.PathLike[str]],
    progress: bool = ...,
    id_column: str = ...,
    **settings: Any,
) -> str: ...
