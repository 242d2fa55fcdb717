"""Hand-written Numba kernels called by adc's generated code: the runtime layer, importable
without the compiler (it imports only numpy and numba)."""
