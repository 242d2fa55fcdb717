"""Lowering: optimized Graph → compiled callable (Numba CPU now; numba.cuda later)."""
