"""CPU kernels (numba.njit) used by modules that adc.lower.cpu generates."""
