"""CUDA kernels (numba.cuda) used by modules that adc.lower.cuda generates: device versions of
the scalar helpers, block reductions, gather/scatter-add with atomics, tiled matmul and small
per-matrix inverse/solve. Importing this package needs numba-cuda, not a GPU."""
