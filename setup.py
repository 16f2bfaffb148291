"""Build the compiled fast path of the HJ 212 codec; everything else is in pyproject.toml.

``greenport.protocol._speedups`` is optional at run time (the Python decoder is the reference and
is used when the extension is absent), but the test suite checks that it was built, so a machine
without a C compiler fails ``make test`` instead of silently running the slow path.
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "greenport.protocol._speedups",
            sources=["greenport/protocol/_speedups.c"],
            extra_compile_args=["-O2"],
            optional=True,
        )
    ]
)
