import os
from typing import Any, Optional, Union

import pandas

def extract_manifest(
    manifest: Union[str, os.PathLike[str], pandas.DataFrame],
    client: Any,
    partitions: Optional[int] = ...,
    id_column: str = ...,
    **settings: Any,
) -> pandas.DataFrame: ...
