"""The case table for the generic primitive checker: shapes, parameters and (where a domain
is not enough) explicit input values, per primitive name."""
from __future__ import annotations

import numpy as np

from adc.domains import sample
from adc.prims import REGISTRY

# Length-1 axes in every position (leading, middle, trailing), 0-d and empty arrays.
UNARY_SHAPES = [(), (3,), (2, 3), (1, 3), (3, 1), (2, 1, 3), (0,), (2, 0)]
# Broadcasting against a length-1 axis in every position, and rank extension.
BINARY_SHAPES = [((), ()), ((3,), (3,)), ((2, 3), (2, 3)), ((2, 3), (3,)), ((2, 1), (1, 3)),
                 ((), (2, 3)), ((2, 3), ()), ((0,), (0,)), ((1,), (0,)), ((1, 3), (3,)),
                 ((3,), (2, 1)), ((2, 1, 3), (1, 2, 1))]


def case(shapes, params=None, values=None):
    """values: {input index: fn(rng, dtype) -> array} overriding the primitive's domain."""
    return {"shapes": shapes, "params": params or {}, "values": values or {}}


def const(array):
    return lambda rng, dtype: np.asarray(array)


def uniform(lo, hi, shape):
    return lambda rng, dtype: rng.uniform(lo, hi, shape).astype(dtype)


def well_conditioned(shape):
    def make(rng, dtype):
        n = shape[-1]
        return (rng.uniform(-0.5, 0.5, shape) + 2.5 * np.eye(n)).astype(dtype)
    return make


CASES: dict = {}
for _name, _prim in REGISTRY.items():
    if _prim.elementwise:
        n = len(_prim.domains)
        if n == 1:
            CASES[_name] = [case((s,)) for s in UNARY_SHAPES]
        elif n == 2:
            CASES[_name] = [case(s) for s in BINARY_SHAPES]

CASES["pow_scalar"] = [case((s,), {"exponent": e}) for s in [(), (3,), (2, 3), (0,)]
                       for e in (3, 2.5, -1.5)]
CASES["clip"] = [case(((3,), (), ()), values={1: uniform(-1.5, -0.5, ()), 2: uniform(0.5, 1.5, ())}),
                 case(((2, 3), (3,), (2, 1)),
                      values={1: uniform(-1.5, -0.5, (3,)), 2: uniform(0.5, 1.5, (2, 1))})]
CASES["where"] = [case(((3,), (3,), (3,))), case(((2, 3), (3,), ())), case(((2, 1), (), (1, 3))),
                  case(((0,), (0,), ()))]
CASES["convert_element_type"] = [case(((3,),), {"dtype": "float64"}),
                                 case(((2, 3),), {"dtype": "float32"})]
CASES["stop_gradient"] = [case(((3,),))]
for _red in ("reduce_sum", "reduce_max", "reduce_min", "reduce_prod"):
    CASES[_red] = [case(((2, 3, 4),), {"axes": (0,)}), case(((2, 3, 4),), {"axes": (1, 2)}),
                   case(((2, 3, 4),), {"axes": (0, 1, 2)}), case(((3,),), {"axes": (0,)})]
for _red in ("reduce_sum", "reduce_max", "reduce_min", "reduce_prod"):
    # reductions over length-1 axes before, between and after varying ones
    CASES[_red] += [case(((1, 3, 1, 2),), {"axes": axes}) for axes in ((0,), (2,), (0, 2), (1, 2))]
CASES["reduce_sum"] += [case(((0, 3),), {"axes": (1,)}), case(((0, 3),), {"axes": (0,)})]
CASES["reduce_prod"] += [case(((0, 3),), {"axes": (0,)})]
CASES["reshape"] = [case(((2, 3),), {"shape": (3, 2)}), case(((6,),), {"shape": (1, 2, 3)}),
                    case(((),), {"shape": (1,)}), case(((0, 3),), {"shape": (3, 0)})]
CASES["transpose"] = [case(((2, 3, 4),), {"perm": (2, 0, 1)}), case(((2, 3),), {"perm": (1, 0)})]
CASES["broadcast_to"] = [case(((3,),), {"shape": (2, 3)}), case(((1, 3),), {"shape": (4, 3)}),
                         case(((),), {"shape": (2, 2)}), case(((2, 1),), {"shape": (3, 2, 4)})]
CASES["concatenate"] = [case(((2, 3), (1, 3)), {"axis": 0}), case(((2, 1), (2, 2)), {"axis": 1}),
                        case(((2,), (0,)), {"axis": 0})]
CASES["pad"] = [case(((3,), ()), {"lo": (1,), "hi": (2,), "interior": (0,)}),
                case(((2, 3), ()), {"lo": (0, 1), "hi": (1, 0), "interior": (1, 0)}),
                case(((0,), ()), {"lo": (1,), "hi": (1,), "interior": (0,)})]
CASES["slice"] = [case(((5,),), {"start": (1,), "stop": (5,), "step": (2,)}),
                  case(((4, 3),), {"start": (0, 1), "stop": (3, 3), "step": (1, 1)}),
                  case(((4,),), {"start": (2,), "stop": (2,), "step": (1,)})]
CASES["rev"] = [case(((2, 3),), {"axes": (1,)}), case(((2, 3),), {"axes": (0, 1)})]
CASES["take"] = [case(((5,), (2, 2)), {"axis": 0}, {1: const([[0, 4], [2, 2]])}),
                 case(((3, 4), (3,)), {"axis": 1}, {1: const([1, 3, 1])}),
                 case(((3, 4), (0,)), {"axis": 0}, {1: const(np.zeros(0, np.int64))})]
CASES["check_index"] = [case(((4,),), {"size": 3}, {0: const([0, -3, 2, -1])}),
                        case(((2, 3),), {"size": 5}, {0: const([[4, 0, -5], [1, 1, 2]])})]
CASES["scatter_add"] = [case(((3,), (3,)), {"axis": 0, "size": 4}, {0: const([0, 2, 2])}),
                        case(((1, 2), (2, 1, 2)), {"axis": 1, "size": 3}, {0: const([[1, 0]])})]
CASES["matmul"] = [case(((2, 3), (3, 4))), case(((5, 2, 3), (3, 2))),
                   case(((2, 1, 2, 3), (4, 3, 2))), case(((2, 0), (0, 3)))]
CASES["einsum"] = [case(((2, 3), (3, 4)), {"spec": "ij,jk->ik"}),
                   case(((2, 2, 3), (2, 3, 4)), {"spec": "bij,bjk->bik"}),
                   case(((3,), (2,)), {"spec": "i,j->ij"}),
                   case(((2, 3),), {"spec": "ij->j"}),
                   case(((2, 3), (2, 3)), {"spec": "ij,ij->"}),
                   case(((2, 3, 4), (4,)), {"spec": "ijk,k->i"})]
CASES["inv"] = [case(((3, 3),), values={0: well_conditioned((3, 3))}),
                case(((2, 3, 3),), values={0: well_conditioned((2, 3, 3))})]
CASES["solve"] = [case(((3, 3), (3, 2)), values={0: well_conditioned((3, 3))}),
                  case(((2, 3, 3), (3, 1)), values={0: well_conditioned((2, 3, 3))})]
CASES["logical_not"] = [case((s,)) for s in UNARY_SHAPES]

# Primitives whose gradient is smooth on the sampled domain: checked to second order.
SECOND_ORDER = {"neg", "exp", "log", "log1p", "expm1", "sqrt", "sin", "cos", "tan", "tanh",
                "arctan", "sinh", "cosh", "sigmoid", "softplus", "pow_scalar", "add", "sub", "mul",
                "div", "pow", "logaddexp", "reduce_sum", "reduce_prod", "reshape", "transpose",
                "broadcast_to", "concatenate", "pad", "slice", "rev", "take", "scatter_add",
                "matmul", "einsum", "inv", "solve", "where", "convert_element_type"}


def make_inputs(prim, spec, dtype, seed=0):
    rng = np.random.default_rng(seed)
    domains = prim.domains if len(prim.domains) == len(spec["shapes"]) else \
        prim.domains[:1] * len(spec["shapes"])
    args = []
    for i, (shape, domain) in enumerate(zip(spec["shapes"], domains)):
        make = spec["values"].get(i)
        args.append(make(rng, dtype) if make else sample(domain, shape, dtype, rng))
    return args


def case_ids():
    return [(name, k) for name in sorted(CASES) for k in range(len(CASES[name]))]
