"""Hand-written Numba kernels called by adc's generated code: the runtime layer, which itself
imports only numpy and numba. Its import name is `adc.kernels` (adc/kernels links here; the
wheel installs it under adc/, so no top-level `kernels` package reaches site-packages).

Invariant: each module of kernels/cpu and kernels/cuda lists in `__all__` exactly the names
generated modules call; the code generator imports those into every generated module's header
(adc.lower.codegen.kernel_imports), so a new kernel needs no other registration. Modules import
each other relatively.
"""
